import type { TaskStatus } from '../tasks/task.schema';

/** The fields of a task the notification rules look at (a trigger's before/after snapshot). */
export interface TaskState {
  title: string;
  projectId: string;
  createdBy: string;
  /** Who made this write; null when the server did (then nobody is excluded as the actor). */
  updatedBy: string | null;
  assigneeId: string | null;
  status: TaskStatus;
  deletedAt: unknown;
  /** The write's `updatedAt` in ms (names the write in idempotency keys); null if absent. */
  updatedAtMs?: number | null;
  /** For email text ("due Mon 23 Nov"). */
  dueDate?: Date | null;
}

export type TaskNotificationKind =
  'task_assigned' | 'task_unassigned' | 'task_completed' | 'task_status_changed';

/** One notification for one recipient, decided from one task write. */
export interface TaskNotification {
  kind: TaskNotificationKind;
  recipient: string;
  /** For assignment changes: who had it before / who has it now. */
  previousAssigneeId?: string | null;
  newAssigneeId?: string | null;
  /** For status changes. */
  fromStatus?: TaskStatus;
  toStatus?: TaskStatus;
}

/** When one write means several things to one person, they get the most important one. */
const PRIORITY: Record<TaskNotificationKind, number> = {
  task_assigned: 0,
  task_unassigned: 1,
  task_completed: 2,
  task_status_changed: 3,
};

/**
 * What one task write means to whom — "what happens when a task is reassigned", in one place.
 *
 * - assigned or reassigned: the new assignee is told; the previous one is told it moved away;
 * - status changed or completed: the task's creator and assignee are told;
 * - nobody is told about their own change (`updatedBy`), each person gets at most one notification
 *   per write, and writes to soft-deleted or hard-deleted tasks notify nobody.
 *
 * Pure: the trigger adapter passes the before/after data; delivery (channels, preferences, quiet
 * hours, idempotency) happens downstream.
 */
export function notificationsForTaskWrite(
  before: TaskState | null,
  after: TaskState | null,
): TaskNotification[] {
  if (after === null || after.deletedAt != null) return [];
  if (before !== null && before.deletedAt != null) return [];
  const actor = after.updatedBy;
  const candidates: TaskNotification[] = [];

  const from = before?.assigneeId ?? null;
  const to = after.assigneeId;
  if (from !== to) {
    if (to !== null) {
      candidates.push({
        kind: 'task_assigned',
        recipient: to,
        previousAssigneeId: from,
        newAssigneeId: to,
      });
    }
    if (from !== null) {
      candidates.push({
        kind: 'task_unassigned',
        recipient: from,
        previousAssigneeId: from,
        newAssigneeId: to,
      });
    }
  }

  if (before !== null && before.status !== after.status) {
    const kind = after.status === 'done' ? 'task_completed' : 'task_status_changed';
    for (const recipient of [after.createdBy, to]) {
      if (recipient === null) continue;
      candidates.push({ kind, recipient, fromStatus: before.status, toStatus: after.status });
    }
  }

  const best = new Map<string, TaskNotification>();
  for (const n of candidates) {
    if (n.recipient === actor) continue;
    const current = best.get(n.recipient);
    if (current === undefined || PRIORITY[n.kind] < PRIORITY[current.kind])
      best.set(n.recipient, n);
  }
  return [...best.values()];
}
