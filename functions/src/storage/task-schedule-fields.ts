import { Timestamp } from 'firebase-admin/firestore';
import type { ReminderState, OverdueState } from '../domain/reminders/reminder-plan';

/**
 * How the reminder and overdue plans (`domain/reminders/reminder-plan.ts`, pure) are stored in
 * `taskSchedules/{taskId}`: instants as Timestamps.
 */

const ts = (ms: number | null): Timestamp | null => (ms === null ? null : Timestamp.fromMillis(ms));

/** The stored form of the reminder fields. */
export function reminderFields(
  nextReminderAt: number | null,
  reminders: ReminderState | null,
): Record<string, unknown> {
  return {
    nextReminderAt: ts(nextReminderAt),
    reminders:
      reminders === null
        ? null
        : {
            dueAt: Timestamp.fromMillis(reminders.dueAtMs),
            assigneeId: reminders.assigneeId,
            pending: reminders.pending,
            sent: reminders.sent,
          },
  };
}

/** The stored form of the overdue fields. */
export function overdueFields(
  overdueCheckAt: number | null,
  notice: OverdueState | null,
): Record<string, unknown> {
  return {
    overdueCheckAt: ts(overdueCheckAt),
    overdueNotice:
      notice === null
        ? null
        : {
            dueAt: Timestamp.fromMillis(notice.dueAtMs),
            assigneeId: notice.assigneeId,
            lastDay: notice.lastDay,
          },
  };
}
