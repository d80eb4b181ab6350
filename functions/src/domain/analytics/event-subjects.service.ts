import type { Firestore } from 'firebase-admin/firestore';
import { AppError } from '../../core/errors';
import { TASKS } from '../../storage/collections';
import { PROJECTS } from '../../storage/collections';

/**
 * A client event may name a task or project (`eventData.taskId`, `eventData.projectId`); it is
 * recorded only when its subject user belongs to that project (and the task to that project), so
 * nobody can file activity — and hours worked — against other teams' work. The answer does not
 * tell a missing project from someone else's (both 403), so ids cannot be probed; a member naming
 * a task with the wrong project gets a 422 naming `eventData.projectId`.
 */
export async function assertEventSubjects(
  db: Firestore,
  userId: string,
  eventData: Readonly<Record<string, unknown>>,
): Promise<void> {
  const taskId = typeof eventData.taskId === 'string' ? eventData.taskId : undefined;
  const named = typeof eventData.projectId === 'string' ? eventData.projectId : undefined;
  if (taskId === undefined && named === undefined) return;
  const notYours = () =>
    AppError.forbidden('The event names a task or project you are not a member of');
  let projectId = named;
  if (taskId !== undefined) {
    const task = await db.collection(TASKS).doc(taskId).get();
    const taskProject: unknown = task.get('projectId');
    if (!task.exists || typeof taskProject !== 'string') throw notYours();
    if (named !== undefined && named !== taskProject) {
      // Only after membership of the task's project is known, so this reveals nothing new.
      await assertMember(db, taskProject, userId, notYours);
      throw new AppError('UNPROCESSABLE_ENTITY', 'eventData.projectId: not the task’s project', [
        { field: 'eventData.projectId', message: 'is not the project of eventData.taskId' },
      ]);
    }
    projectId = taskProject;
  }
  if (projectId !== undefined) await assertMember(db, projectId, userId, notYours);
}

async function assertMember(
  db: Firestore,
  projectId: string,
  userId: string,
  notYours: () => AppError,
): Promise<void> {
  // Only `members` matters here, read as it is: a project this check cannot make sense of (or none)
  // is not the caller's.
  const members: unknown = (await db.collection(PROJECTS).doc(projectId).get()).get('members');
  if (!Array.isArray(members) || !members.includes(userId)) throw notYours();
}
