import { createHash } from 'node:crypto';
import type { Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import type { NewInboxItem } from './inbox.schema';
import { addInboxItem } from './inbox.service';
import { notificationsForTaskWrite, type TaskNotification, type TaskState } from './task-events';

const STATUS_LABEL = { todo: 'To do', in_progress: 'In progress', done: 'Done' } as const;

/** The inbox text of one task notification. */
export function renderTaskNotification(
  n: TaskNotification,
  taskId: string,
  task: TaskState,
): NewInboxItem {
  const base = { type: n.kind, taskId, projectId: task.projectId, groupKey: `task:${taskId}` };
  switch (n.kind) {
    case 'task_assigned':
      return { ...base, title: 'New task assigned', body: `You were assigned "${task.title}"` };
    case 'task_unassigned':
      return {
        ...base,
        title: 'Task reassigned',
        body: `"${task.title}" is no longer assigned to you`,
      };
    case 'task_completed':
      return { ...base, title: 'Task completed', body: `"${task.title}" was marked done` };
    case 'task_status_changed':
      return {
        ...base,
        title: 'Task status changed',
        body: `"${task.title}" moved to ${STATUS_LABEL[n.toStatus ?? task.status]}`,
      };
  }
}

/** One inbox item per (event, recipient): a redelivered event finds its items already there. */
export function inboxItemId(eventId: string, recipient: string): string {
  return `tw_${createHash('sha256').update(`${eventId}\n${recipient}`).digest('hex').slice(0, 40)}`;
}

/**
 * Handles one task write (a Firestore trigger event, delivered at least once): decides who is told
 * what ({@link notificationsForTaskWrite}) and writes their in-app inbox items exactly once.
 * Push and email deliveries (issue #4) hang off the same decisions.
 */
export async function notifyTaskWrite(
  db: Firestore,
  clock: Clock,
  logger: Logger,
  event: { eventId: string; taskId: string; before: TaskState | null; after: TaskState | null },
): Promise<{ notified: number; alreadyDelivered: number }> {
  const { after } = event;
  const decisions = notificationsForTaskWrite(event.before, after);
  if (after === null || decisions.length === 0) return { notified: 0, alreadyDelivered: 0 };
  const results = await Promise.all(
    decisions.map((n) =>
      addInboxItem(
        db,
        clock,
        n.recipient,
        renderTaskNotification(n, event.taskId, after),
        inboxItemId(event.eventId, n.recipient),
      ),
    ),
  );
  const notified = results.filter((r) => r.created).length;
  logger.info('Task write notified', {
    taskId: event.taskId,
    eventId: event.eventId,
    notified,
    alreadyDelivered: results.length - notified,
    kinds: decisions.map((d) => d.kind),
  });
  return { notified, alreadyDelivered: results.length - notified };
}
