import type { Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import type { TaskEffect } from '../tasks/task-write';
import { resolvePreferences } from '../users/preferences.service';
import {
  desiredBookkeeping,
  isArmable,
  millisOf,
  readBookkeeping,
  sameReminderState,
  taskView,
} from './reminder-plan';
import { overdueFields, reminderFields } from '../../storage/task-schedule-fields';
import { USERS, TASKS } from '../../storage/collections';
import { taskScheduleRef } from '../../storage/refs';

/** The task fields whose change (re)arms reminders; raw document data or a parsed task state. */
export interface ArmingFields {
  assigneeId?: unknown;
  status?: unknown;
  dueDate?: unknown;
  deletedAt?: unknown;
}

export interface ArmingDeps {
  db: Firestore;
  clock: Clock;
  logger?: Logger | undefined;
}

export type ArmOutcome =
  /** No field that matters changed: no read. */
  | 'ignored'
  /** The task is gone: its schedule, if any, was deleted with it. */
  | 'missing'
  /** Already carries the right bookkeeping: nothing written. */
  | 'unchanged'
  | 'armed'
  | 'disarmed';

export interface ArmResult {
  outcome: ArmOutcome;
  nextReminderAt: Date | null;
  overdueCheckAt: Date | null;
}

function relevant(f: ArmingFields) {
  return {
    assigneeId: typeof f.assigneeId === 'string' ? f.assigneeId : null,
    open: f.status === 'todo' || f.status === 'in_progress',
    deleted: f.deletedAt !== null && f.deletedAt !== undefined,
    dueAtMs: millisOf(f.dueDate),
  };
}

/** Did a write change what reminders depend on: due date, assignee, open/done, deleted? */
export function remindersAffected(before: ArmingFields | null, after: ArmingFields): boolean {
  if (before === null) return true;
  const a = relevant(before);
  const b = relevant(after);
  return (
    a.assigneeId !== b.assigneeId ||
    a.open !== b.open ||
    a.deleted !== b.deleted ||
    a.dueAtMs !== b.dueAtMs
  );
}

const asDate = (ms: number | null) => (ms === null ? null : new Date(ms));

/**
 * (Re)arms a task's reminders and overdue check after a write (called from the task trigger with
 * the event's before/after data): when its due date, assignee, open/done state or deletion
 * changed, computes `nextReminderAt` and `overdueCheckAt` from the task as it is NOW (read in a
 * transaction: trigger events arrive late, twice and out of order, so the event's `after` may be
 * stale) and the assignee's lead times and follow-up switch (one read), and writes them into the
 * task's schedule (`taskSchedules/{taskId}`, never the task: no second trigger run) only when they
 * differ — so a redelivered event does nothing. A deleted task's schedule is deleted.
 * Reads: 0 for an unrelated write, else the task, its schedule and (if armable) its assignee.
 */
export async function armTaskReminders(
  deps: ArmingDeps,
  event: {
    taskId: string;
    before: ArmingFields | null | undefined;
    after: ArmingFields | null | undefined;
  },
): Promise<ArmResult> {
  const { db, clock } = deps;
  const none: ArmResult = { outcome: 'ignored', nextReminderAt: null, overdueCheckAt: null };
  const after = event.after ?? null;
  const before = event.before ?? null;
  // Deleted: look (below) whether it is still gone, and delete its schedule with it.
  if (after === null ? before === null : !remindersAffected(before, after)) return none;

  const ref = db.collection(TASKS).doc(event.taskId);
  const scheduleRef = taskScheduleRef(db, event.taskId);
  const result = await db.runTransaction(async (tx): Promise<ArmResult> => {
    const [snap, scheduleSnap] = await Promise.all([tx.get(ref), tx.get(scheduleRef)]);
    const data = snap.data();
    if (data === undefined) {
      if (scheduleSnap.exists) tx.delete(scheduleRef);
      return { ...none, outcome: 'missing' };
    }
    const task = taskView(data);
    const current = readBookkeeping(scheduleSnap.data() ?? {});
    let prefs: { leads: number[]; followUp: boolean } | null = null;
    if (isArmable(task)) {
      // A plain read: the transaction need not lock the assignee's profile.
      const user = await db.collection(USERS).doc(task.assigneeId).get();
      const p = resolvePreferences(user.get('notificationPreferences'));
      prefs = { leads: p.reminderLeadMinutes, followUp: p.overdueFollowUp };
    }
    const want = desiredBookkeeping(task, prefs, current, clock.now().getTime());
    const update: Record<string, unknown> = {};
    if (
      want.nextReminderAt !== current.nextReminderAt ||
      !sameReminderState(want.reminders, current.reminders)
    )
      Object.assign(update, reminderFields(want.nextReminderAt, want.reminders));
    if (want.overdueCheckAt !== current.overdueCheckAt)
      update.overdueCheckAt = overdueFields(want.overdueCheckAt, null).overdueCheckAt;
    const outcome: ArmOutcome =
      Object.keys(update).length === 0 ? 'unchanged' : prefs === null ? 'disarmed' : 'armed';
    if (outcome !== 'unchanged') tx.set(scheduleRef, update, { merge: true });
    return {
      outcome,
      nextReminderAt: asDate(want.nextReminderAt),
      overdueCheckAt: asDate(want.overdueCheckAt),
    };
  });
  if (result.outcome === 'armed' || result.outcome === 'disarmed')
    deps.logger?.info('Task reminders armed', {
      taskId: event.taskId,
      outcome: result.outcome,
      nextReminderAt: result.nextReminderAt?.toISOString() ?? null,
      overdueCheckAt: result.overdueCheckAt?.toISOString() ?? null,
    });
  return result;
}

/** The task trigger's reminder effect: {@link armTaskReminders} on the parsed write. */
export const armRemindersEffect: TaskEffect = {
  name: 'reminders',
  run: (write, { deps, logger }) =>
    write.kind === 'invalid'
      ? Promise.resolve(null)
      : armTaskReminders(
          { db: deps.db, clock: deps.clock, logger },
          { taskId: write.taskId, before: write.before, after: write.after },
        ),
};
