import { onDocumentWritten } from 'firebase-functions/firestore';
import { z } from 'zod';
import { NOTIFY_SECRETS } from '../config/params';
import { TRIGGER_OPTIONS } from '../config/runtime-options';
import type { TaskState } from '../domain/notifications/task-events';

/** The task fields the notification rules read; anything else in the document is ignored. */
const taskStateSchema = z.object({
  title: z.string(),
  projectId: z.string(),
  createdBy: z.string(),
  updatedBy: z.string().nullable().default(null),
  assigneeId: z.string().nullable().default(null),
  status: z.enum(['todo', 'in_progress', 'done']),
  deletedAt: z.unknown().default(null),
  updatedAt: z.unknown().optional(),
  dueDate: z.unknown().optional(),
});

/** A Firestore Timestamp (anything with `toMillis`) as milliseconds, else null. */
function millis(value: unknown): number | null {
  if (value !== null && typeof value === 'object' && 'toMillis' in value) {
    const toMillis = value.toMillis;
    if (typeof toMillis === 'function') return (toMillis as () => number).call(value);
  }
  return null;
}

function parseTask(data: unknown): TaskState | null | 'invalid' {
  if (data === undefined) return null;
  const parsed = taskStateSchema.safeParse(data);
  if (!parsed.success) return 'invalid';
  const { updatedAt, dueDate, ...rest } = parsed.data;
  const due = millis(dueDate);
  return { ...rest, updatedAtMs: millis(updatedAt), dueDate: due === null ? null : new Date(due) };
}

/**
 * `onTaskWritten`: every write to a task, delivered at least once and retried on failure. Five
 * independent effects, each idempotent in its own domain module so a redelivery (or the retry of
 * one that failed) repeats nothing:
 * - notifications: assigned/reassigned, status changed, completed → inbox, push, email;
 * - reminders: (re)arm the due-date reminder and overdue bookkeeping;
 * - analytics: task lifecycle activity and per-day statistics;
 * - recurrence: the next occurrence of a completed recurring task;
 * - search: the task's search tokens, in `taskSearch/{taskId}` (never in the task itself, so
 *   indexing does not fire this trigger again).
 * They run side by side; if any fails the event fails (and is retried) after the others finished.
 * A document that is not a valid task gets no notifications (a retry could not fix it).
 */
export const onTaskWritten = onDocumentWritten(
  { ...TRIGGER_OPTIONS, document: 'tasks/{taskId}', retry: true, secrets: NOTIFY_SECRETS },
  async (event) => {
    const [
      { getRuntime },
      { notifyTaskWrite },
      { notifierDeps },
      { armTaskReminders },
      { recordTaskActivity },
      { spawnNextOccurrence },
      { indexTaskForSearch },
      { withQuarantine },
    ] = await Promise.all([
      import('../composition-root'),
      import('../domain/notifications/task-notifier'),
      import('../domain/notifications/delivery.service'),
      import('../domain/reminders/arming'),
      import('../domain/analytics/activity.service'),
      import('../domain/tasks/recurrence'),
      import('../domain/search/task-search.service'),
      import('../domain/scheduling/sweep-errors'),
    ]);
    const runtime = getRuntime();
    const { deps } = runtime;
    const taskId = event.params.taskId;
    const log = runtime.logger.child({ function: 'onTaskWritten', eventId: event.id, taskId });
    const rawBefore = event.data?.before.data();
    const rawAfter = event.data?.after.data();
    const write = { eventId: event.id, taskId, before: rawBefore, after: rawAfter };

    const notify = async (): Promise<void> => {
      const before = parseTask(rawBefore);
      const after = parseTask(rawAfter);
      if (before === 'invalid' || after === 'invalid') {
        log.warn('Not a valid task; no notifications');
        return;
      }
      await notifyTaskWrite(notifierDeps(deps, log), { eventId: event.id, taskId, before, after });
    };
    const effects = {
      notifications: notify(),
      reminders: armTaskReminders(
        { db: deps.db, clock: deps.clock, logger: log },
        { taskId, before: rawBefore ?? null, after: rawAfter ?? null },
      ),
      analytics: recordTaskActivity(
        deps.db,
        deps.clock,
        { ...write, occurredAt: new Date(event.time) },
        log,
        { retentionDays: deps.analyticsRetentionDays },
      ),
      recurrence: spawnNextOccurrence(deps.db, deps.clock, write),
      search: indexTaskForSearch(deps.db, deps.clock, {
        taskId,
        before: rawBefore,
        after: rawAfter,
      }),
    };
    const names = Object.keys(effects);
    // Each effect gives up on this event after a few failed attempts (recorded in sweepErrors):
    // a document one effect can never process must not fail the event for seven days.
    const results = await Promise.allSettled(
      Object.entries(effects).map(([name, effect]) =>
        withQuarantine(
          deps.db,
          deps.clock,
          `onTaskWritten.${name}`,
          `tasks/${taskId}@${event.id}`,
          () => effect,
        ),
      ),
    );
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected'
        ? [
            {
              effect: names[i],
              error: r.reason instanceof Error ? r.reason.message : String(r.reason),
            },
          ]
        : [],
    );
    if (failed.length > 0) {
      log.error('Task write effects failed; the event will be retried', { failed });
      throw new Error(`onTaskWritten: ${failed.map((f) => f.effect).join(', ')} failed`);
    }
  },
);
