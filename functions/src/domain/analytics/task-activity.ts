import { parseStoredTask, type StoredTask } from '../tasks/task-write';
import type { TaskEventType } from './activity.schema';

/**
 * What a task write means as activity: the task fields it is derived from, and the lifecycle
 * events (created, assigned, started, completed, reopened, deleted) with whose activity each is
 * and when it happened. Pure: `activity.service.ts` stores and counts what this derives.
 */

/** The longest in_progress → done run the server credits as work: a working day. */
export const MAX_RUN_SECONDS = 8 * 3600;

/** The task fields activity is derived from (a stored task, read once by the task trigger). */
export type TaskSnapshot = Pick<
  StoredTask,
  | 'projectId'
  | 'createdBy'
  | 'updatedBy'
  | 'assigneeId'
  | 'status'
  | 'completedAt'
  | 'createdAt'
  | 'updatedAt'
> & { deletedAt: boolean };

export function snapshotOf(task: StoredTask | null): TaskSnapshot | null {
  if (task === null) return null;
  const { projectId, createdBy, updatedBy, assigneeId, status, completedAt, createdAt } = task;
  return {
    ...{ projectId, createdBy, updatedBy, assigneeId, status, completedAt, createdAt },
    updatedAt: task.updatedAt,
    deletedAt: task.deleted,
  };
}

/**
 * A task document's data as {@link TaskSnapshot} (read with the one stored-task schema: a
 * document with no project, creator or status yields no activity; bad optional fields read as
 * absent); `null` when there is none, `'invalid'` if unreadable.
 */
export function parseTaskSnapshot(data: unknown): TaskSnapshot | null | 'invalid' {
  const task = parseStoredTask(data);
  return task === 'invalid' ? 'invalid' : snapshotOf(task);
}

/** One lifecycle event derived from a task write. */
export interface DerivedTaskEvent {
  type: TaskEventType;
  userId: string;
  at: Date;
  eventData: Record<string, unknown>;
}

const dateOf = (ts: { toMillis(): number } | null, fallback: Date): Date =>
  ts === null ? fallback : new Date(ts.toMillis());

/**
 * What a task write means as activity, and whose activity it is — in one place:
 *
 * - `task_created` → the creator (`createdBy`), at `createdAt`;
 * - `task_assigned` (to someone new, including at creation) → the new assignee;
 * - `task_started` (status becomes in_progress) → the actor (`updatedBy`, else the creator);
 * - `task_completed` (status becomes done) → the ASSIGNEE: a completion counts for the person the
 *   task is assigned to, whoever clicked; an unassigned task counts for the actor. At `completedAt`.
 * - `task_reopened` (done → todo/in_progress) → the same person a completion would count for;
 *   done → in_progress is also a `task_started`;
 * - `task_deleted` (soft delete set) → the actor; a hard delete of a live task → the creator (the
 *   event does not say who deleted it), at `fallbackAt` (the trigger's time).
 *
 * Writes to a task that stays soft-deleted, restores, and unassignments record nothing. Times are
 * the task's own (`updatedAt` is the write's server time, enforced by rules), so a delayed or
 * retried trigger counts the event on the day it happened. Pure.
 */
export function deriveTaskActivity(
  taskId: string,
  before: TaskSnapshot | null,
  after: TaskSnapshot | null,
  fallbackAt: Date,
): DerivedTaskEvent[] {
  if (after === null) {
    if (before === null || before.deletedAt) return [];
    return [
      {
        type: 'task_deleted',
        userId: before.createdBy,
        at: fallbackAt,
        eventData: { taskId, projectId: before.projectId, permanent: true },
      },
    ];
  }
  const ref = { taskId, projectId: after.projectId };
  const actor = after.updatedBy ?? after.createdBy;
  const credited = after.assigneeId ?? actor;
  const updatedAt = dateOf(after.updatedAt, fallbackAt);
  const completedAt = dateOf(after.completedAt, updatedAt);
  const events: DerivedTaskEvent[] = [];

  if (before === null) {
    if (after.deletedAt) return [];
    const createdAt = dateOf(after.createdAt, updatedAt);
    events.push({ type: 'task_created', userId: after.createdBy, at: createdAt, eventData: ref });
    if (after.assigneeId !== null) {
      events.push({
        type: 'task_assigned',
        userId: after.assigneeId,
        at: createdAt,
        eventData: ref,
      });
    }
    if (after.status === 'in_progress') {
      events.push({ type: 'task_started', userId: actor, at: createdAt, eventData: ref });
    }
    if (after.status === 'done') {
      events.push({ type: 'task_completed', userId: credited, at: completedAt, eventData: ref });
    }
    return events;
  }

  if (before.deletedAt) return [];
  if (after.deletedAt) {
    return [
      {
        type: 'task_deleted',
        userId: actor,
        at: updatedAt,
        eventData: { ...ref, permanent: false },
      },
    ];
  }
  if (after.assigneeId !== null && after.assigneeId !== before.assigneeId) {
    events.push({ type: 'task_assigned', userId: after.assigneeId, at: updatedAt, eventData: ref });
  }
  if (before.status !== after.status) {
    if (before.status === 'done') {
      events.push({
        type: 'task_reopened',
        userId: credited,
        at: updatedAt,
        eventData: { ...ref, status: after.status },
      });
    }
    if (after.status === 'in_progress') {
      events.push({ type: 'task_started', userId: actor, at: updatedAt, eventData: ref });
    }
    if (after.status === 'done') {
      events.push({ type: 'task_completed', userId: credited, at: completedAt, eventData: ref });
    }
  }
  return events;
}

/**
 * Seconds of an in_progress → done run from its recorded start to `completedAt`, capped at
 * {@link MAX_RUN_SECONDS} (never negative).
 */
export function runSeconds(startedMs: number, completedAt: Date): number {
  const seconds = Math.floor((completedAt.getTime() - startedMs) / 1000);
  return Math.max(0, Math.min(MAX_RUN_SECONDS, seconds));
}
