import { recordActivityEffect } from '../analytics/activity.service';
import { notifyEffect } from '../notifications/task-notifier.service';
import { armRemindersEffect } from '../reminders/reminder-arming.service';
import { withQuarantine } from '../scheduling/sweep-errors.service';
import { indexSearchEffect } from '../search/task-search.service';
import { scheduleRecurrenceEffect } from './recurrence.service';
import {
  parseTaskWrite,
  type TaskEffect,
  type TaskEffectContext,
  type TaskWrite,
  type TaskWriteEvent,
} from './task-write';

/**
 * What one write of `tasks/{id}` does, in order of reading (they run side by side):
 * 1. notifications: assigned/reassigned, status changed, completed → inbox, push, email;
 * 2. reminders: (re)arm the due-date reminder and the overdue check (in `taskSchedules/{taskId}`);
 * 3. analytics: task lifecycle activity and per-day statistics;
 * 4. recurrence: the next occurrence of a completed recurring task, or the on_due sweep armed
 *    (in `taskSchedules/{taskId}`);
 * 5. search: the task's search tokens, in `taskSearch/{taskId}`.
 * None writes the task itself, so a client's write of a task is exactly one run of the trigger.
 */
export const TASK_WRITE_EFFECTS: readonly TaskEffect[] = [
  notifyEffect,
  armRemindersEffect,
  recordActivityEffect,
  scheduleRecurrenceEffect,
  indexSearchEffect,
];

export interface TaskPipelineResult {
  write: TaskWrite['kind'];
  /** The effects that ran. */
  ran: string[];
  failed: { effect: string; error: string }[];
}

/**
 * Runs one task write through the pipeline: parsed once ({@link parseTaskWrite}), then every
 * effect runs, each started inside its own isolation: one that fails does not stop the others, and after
 * a few failed deliveries of the same event an effect is given up and recorded in `sweepErrors`
 * (scope `onTaskWritten.<effect>`), so a document one effect can never process does not fail the
 * event for the whole retry window. The caller fails the event (so it is retried) when any failed.
 */
export async function runTaskPipeline(
  ctx: TaskEffectContext,
  event: TaskWriteEvent,
  effects: readonly TaskEffect[] = TASK_WRITE_EFFECTS,
): Promise<TaskPipelineResult> {
  const write = parseTaskWrite(event);
  const { db, clock } = ctx.deps;
  const results = await Promise.allSettled(
    effects.map((effect) =>
      withQuarantine(
        db,
        clock,
        `onTaskWritten.${effect.name}`,
        `tasks/${event.taskId}@${event.eventId}`,
        () => effect.run(write, ctx),
      ),
    ),
  );
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected'
      ? [
          {
            effect: effects[i]?.name ?? String(i),
            error: r.reason instanceof Error ? r.reason.message : String(r.reason),
          },
        ]
      : [],
  );
  return { write: write.kind, ran: effects.map((e) => e.name), failed };
}
