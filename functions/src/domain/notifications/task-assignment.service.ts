import type { Firestore } from 'firebase-admin/firestore';
import { assignmentRef } from '../../storage/refs';
import type { AssignmentDoc } from '../../storage/documents';

/**
 * One document per task (`taskAssignments/{taskId}`, server-owned): who the task is assigned to
 * and the write that began that assignment (its `updatedAt` in ms). The assignment notice is keyed
 * on that write, not on the task's latest one, so `notifyTaskAssignment` called again after a save
 * that kept the assignee finds the same notice (one assignment, one inbox item), while a new
 * assignment after an unassignment is a new one.
 */
/**
 * The task trigger saw the assignee change to `assigneeId` in the write stamped `atMs`. Records it
 * unless a later change is already recorded (events arrive in any order, at least once), and
 * answers the version of that assignment for the notice key: `atMs`, or the version the callable
 * already recorded for the same assignment when it got there first (after a later no-op save).
 */
export async function recordAssigneeChange(
  db: Firestore,
  taskId: string,
  assigneeId: string | null,
  atMs: number,
): Promise<number> {
  const ref = assignmentRef(db, taskId);
  return db.runTransaction(async (tx) => {
    const current = (await tx.get(ref)).data();
    if (current !== undefined && current.sinceMs >= atMs) {
      return current.assigneeId === assigneeId ? current.sinceMs : atMs;
    }
    tx.set(ref, { assigneeId, sinceMs: atMs } satisfies AssignmentDoc);
    return atMs;
  });
}

/**
 * The version of the task's current assignment to `assigneeId`, for `notifyTaskAssignment`: the
 * recorded one when it names this assignee; otherwise (the trigger has not run yet) the task's
 * latest write, which is then recorded so that calling again after another save answers the same.
 */
export async function currentAssignmentVersion(
  db: Firestore,
  taskId: string,
  assigneeId: string,
  taskUpdatedAtMs: number,
): Promise<number> {
  const ref = assignmentRef(db, taskId);
  return db.runTransaction(async (tx) => {
    const current = (await tx.get(ref)).data();
    if (current?.assigneeId === assigneeId) return current.sinceMs;
    tx.set(ref, { assigneeId, sinceMs: taskUpdatedAtMs } satisfies AssignmentDoc);
    return taskUpdatedAtMs;
  });
}
