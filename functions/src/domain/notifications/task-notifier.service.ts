import type { StoredTask, TaskEffect } from '../tasks/task-write';
import type { NotificationIntent } from './channels';
import {
  deliverNotification,
  notifierDeps,
  type DeliverResult,
  type NotifierDeps,
} from './delivery.service';
import { recordAssigneeChange } from './task-assignment.service';
import { notificationsForTaskWrite, type TaskNotification, type TaskState } from './task-events';

const STATUS_LABEL = { todo: 'To do', in_progress: 'In progress', done: 'Done' } as const;

/** The inbox/push text of one task notification. */
export function describeTaskNotification(
  n: TaskNotification,
  task: TaskState,
): { title: string; body: string } {
  switch (n.kind) {
    case 'task_assigned':
      return { title: 'New task assigned', body: `You were assigned "${task.title}"` };
    case 'task_unassigned':
      return { title: 'Task reassigned', body: `"${task.title}" is no longer assigned to you` };
    case 'task_completed':
      return { title: 'Task completed', body: `"${task.title}" was marked done` };
    case 'task_status_changed':
      return {
        title: 'Task status changed',
        body: `"${task.title}" moved to ${STATUS_LABEL[n.toStatus ?? task.status]}`,
      };
  }
}

/**
 * The idempotency key of one task notification. It names the write by the task's `updatedAt`
 * (the same in every redelivery of the event); for an assignment, the write that began it
 * (`task-assignment.service.ts`), which `notifyTaskAssignment` finds too and therefore never duplicates
 * the trigger's notice. The event id is the fallback for documents without one.
 */
export function taskNotificationKey(
  taskId: string,
  n: Pick<TaskNotification, 'kind' | 'recipient'>,
  write: { updatedAtMs: number | null; eventId: string },
): string {
  const version = write.updatedAtMs === null ? `event:${write.eventId}` : `at:${write.updatedAtMs}`;
  return `task:${taskId}:${version}:${n.kind}:${n.recipient}`;
}

/** The engine's intent for one task notification. */
export function taskIntent(
  n: TaskNotification,
  taskId: string,
  task: TaskState,
  write: {
    updatedAtMs: number | null;
    eventId: string;
    at: Date;
    publicBaseUrl: string;
    /** The task's previous write (`null`: a new task; left out: unknown). */
    previousChangeAt?: Date | null;
  },
): NotificationIntent {
  const { title, body } = describeTaskNotification(n, task);
  return {
    key: taskNotificationKey(taskId, n, write),
    recipientId: n.recipient,
    category: n.kind,
    title,
    body,
    taskId,
    projectId: task.projectId,
    groupKey: `task:${taskId}`,
    previousChangeAt: write.previousChangeAt,
    email: {
      kind: 'task_event',
      changes: [{ category: n.kind, text: body, at: write.at }],
      taskTitle: task.title,
      taskUrl: `${write.publicBaseUrl}/tasks/${encodeURIComponent(taskId)}`,
      dueDate: task.dueDate ?? null,
    },
  };
}

/**
 * Handles one task write (a Firestore trigger event, delivered at least once): decides who is told
 * what ({@link notificationsForTaskWrite}) and hands each notification to the engine, which writes
 * the inbox item and sends push and email exactly once per notification.
 */
export async function notifyTaskWrite(
  deps: NotifierDeps,
  event: { eventId: string; taskId: string; before: TaskState | null; after: TaskState | null },
): Promise<{ decisions: number; results: DeliverResult[] }> {
  const { after } = event;
  const updatedAtMs = after?.updatedAtMs ?? null;
  // Every assignee change is recorded (even one that notifies nobody), so that a later
  // `notifyTaskAssignment` tells a new assignment from the same one saved again.
  let assignedVersion = updatedAtMs;
  if (after !== null && updatedAtMs !== null && event.before?.assigneeId !== after.assigneeId) {
    assignedVersion = await recordAssigneeChange(
      deps.db,
      event.taskId,
      after.assigneeId,
      updatedAtMs,
    );
  }
  const decisions = notificationsForTaskWrite(event.before, after);
  if (after === null || decisions.length === 0) return { decisions: 0, results: [] };
  const write = {
    updatedAtMs,
    eventId: event.eventId,
    at: deps.clock.now(),
    publicBaseUrl: deps.settings.publicBaseUrl,
    previousChangeAt:
      event.before === null
        ? null
        : event.before.updatedAtMs === null || event.before.updatedAtMs === undefined
          ? undefined
          : new Date(event.before.updatedAtMs),
  };
  const results = await Promise.all(
    decisions.map((n) =>
      deliverNotification(
        deps,
        taskIntent(n, event.taskId, after, {
          ...write,
          updatedAtMs: n.kind === 'task_assigned' ? assignedVersion : updatedAtMs,
        }),
      ),
    ),
  );
  deps.logger.info('Task write notified', {
    taskId: event.taskId,
    eventId: event.eventId,
    kinds: decisions.map((d) => d.kind),
    inbox: results.map((r) => r.inbox),
    push: results.map((r) => r.push),
    email: results.map((r) => r.email),
  });
  return { decisions: decisions.length, results };
}

/** What the notification rules read of a stored task. */
function taskState(task: StoredTask | null): TaskState | null {
  if (task === null) return null;
  const { title, projectId, createdBy, updatedBy, assigneeId, status, deletedAt } = task;
  return {
    ...{ title, projectId, createdBy, updatedBy, assigneeId, status, deletedAt },
    updatedAtMs: task.updatedAt?.toMillis() ?? null,
    dueDate: task.dueDate === null ? null : new Date(task.dueDate.toMillis()),
  };
}

/** The task trigger's notification effect: {@link notifyTaskWrite} on the parsed write. */
export const notifyEffect: TaskEffect = {
  name: 'notifications',
  async run(write, { deps, logger }) {
    if (write.kind === 'invalid') {
      logger.warn('Not a valid task; no notifications');
      return;
    }
    await notifyTaskWrite(notifierDeps(deps, logger), {
      eventId: write.eventId,
      taskId: write.taskId,
      before: taskState(write.before),
      after: taskState(write.after),
    });
  },
};
