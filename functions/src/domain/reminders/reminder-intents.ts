import type { NotificationIntent } from '../notifications/channels';
import type { NotifierDeps, Recipient } from '../notifications/delivery.service';
import { formatLocalDateTime, humanDuration } from '../notifications/email-templates';
import { DAY_MS, overdueKey, reminderKey, type TaskView } from './reminder-plan';

/**
 * What the deadline sweeps say: the "due soon" and "overdue" notifications of one task for one
 * recipient, with their deterministic keys, in the recipient's zone and locale. Pure: the sweeps
 * decide when, these decide what.
 */

const taskUrl = (deps: NotifierDeps, taskId: string) =>
  `${deps.settings.publicBaseUrl}/tasks/${encodeURIComponent(taskId)}`;

const localDue = (dueAtMs: number, r: Recipient) =>
  formatLocalDateTime(new Date(dueAtMs), r.timezone, {
    locale: r.locale ?? undefined,
    withZone: false,
  });

/** The "due soon" notification of one lead time. */
export function reminderIntent(
  deps: NotifierDeps,
  taskId: string,
  task: TaskView & { dueAtMs: number },
  leadMinutes: number,
  recipient: Recipient,
  nowMs: number,
): NotificationIntent {
  const left = task.dueAtMs - nowMs;
  const when = left < 60_000 ? 'now' : `in ${humanDuration(left)}`;
  return {
    key: reminderKey(taskId, task.dueAtMs, leadMinutes, recipient.uid),
    recipientId: recipient.uid,
    category: 'task_due_soon',
    title: 'Task due soon',
    body: `"${task.title}" is due ${when} (${localDue(task.dueAtMs, recipient)})`,
    taskId,
    projectId: task.projectId,
    groupKey: `task:${taskId}`,
    data: {
      dueDate: new Date(task.dueAtMs).toISOString(),
      leadMinutes: String(leadMinutes),
    },
    email: {
      kind: 'task_due',
      category: 'task_due_soon',
      taskTitle: task.title,
      taskUrl: taskUrl(deps, taskId),
      dueDate: new Date(task.dueAtMs),
      timeZone: recipient.timezone,
    },
  };
}

/** The overdue notice (`followUpDay` null) or the follow-up of one day. */
export function overdueIntent(
  deps: NotifierDeps,
  taskId: string,
  task: TaskView & { dueAtMs: number },
  followUpDay: number | null,
  recipient: Recipient,
  nowMs: number,
): NotificationIntent {
  const days = Math.floor((nowMs - task.dueAtMs) / DAY_MS);
  const body =
    followUpDay === null || days < 1
      ? `"${task.title}" was due ${localDue(task.dueAtMs, recipient)}`
      : `"${task.title}" has been overdue for ${days === 1 ? '1 day' : `${days} days`}`;
  return {
    key: overdueKey(taskId, task.dueAtMs, recipient.uid, followUpDay),
    recipientId: recipient.uid,
    category: 'task_overdue',
    title: followUpDay === null ? 'Task overdue' : 'Task still overdue',
    body,
    taskId,
    projectId: task.projectId,
    groupKey: `task:${taskId}`,
    data: {
      dueDate: new Date(task.dueAtMs).toISOString(),
      ...(followUpDay === null ? {} : { followUpDay: String(followUpDay) }),
    },
    email: {
      kind: 'task_due',
      category: 'task_overdue',
      taskTitle: task.title,
      taskUrl: taskUrl(deps, taskId),
      dueDate: new Date(task.dueAtMs),
      timeZone: recipient.timezone,
    },
  };
}
