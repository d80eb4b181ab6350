import { FieldValue, Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import type { Caller } from '../../core/operation';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { EPOCH, iso } from '../shared.schema';
import type { WorkspaceDoc } from '../workspaces/workspace.schema';
import { roleOf } from '../workspaces/workspace.service';
import type { Project, ProjectDoc } from './project.schema';
import { PROJECTS, TASKS } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import { projectDocs, taskDocs, workspaceDocs } from '../../storage/refs';

/** Writes per batch when a change fans out over many documents (Firestore allows 500). */
export const BATCH_SIZE = 400;

export const MY_PROJECTS_QUERY: QueryShape = {
  collection: PROJECTS,
  equals: [],
  arrayContains: 'members',
  orderBy: [['createdAt', 'desc']],
};
export const MY_PROJECTS_IN_WORKSPACE_QUERY: QueryShape = {
  collection: PROJECTS,
  equals: ['workspaceId'],
  arrayContains: 'members',
  orderBy: [['createdAt', 'desc']],
};
/** A member's tasks in one project (to unassign them when they leave). */
export const PROJECT_TASKS_OF_ASSIGNEE_QUERY: QueryShape = {
  collection: TASKS,
  equals: ['projectId', 'assigneeId'],
  orderBy: [],
};

export function toProject(id: string, d: ProjectDoc): Project {
  return {
    id,
    name: d.name,
    description: d.description ?? '',
    workspaceId: d.workspaceId,
    ownerId: d.ownerId,
    members: d.members,
    createdAt: iso(d.createdAt) ?? EPOCH,
    // Documents written before updatedAt was kept (and the first demo seeds) have none.
    updatedAt: iso(d.updatedAt) ?? iso(d.createdAt) ?? EPOCH,
  };
}

/** Loads a project: 404 if it does not exist. */
export async function loadProject(db: Firestore, projectId: string): Promise<ProjectDoc> {
  const snap = await projectDocs(db).doc(projectId).get();
  const data = snap.data();
  if (data === undefined) throw AppError.notFound(`Project ${projectId} not found`);
  return data;
}

/** Only project members (and platform admins) see or touch a project and its tasks. */
export function assertProjectMember(project: ProjectDoc, caller: Caller): void {
  if (caller.admin || project.members.includes(caller.uid)) return;
  throw AppError.forbidden();
}

export async function loadProjectFor(
  db: Firestore,
  projectId: string,
  caller: Caller,
): Promise<ProjectDoc> {
  const project = await loadProject(db, projectId);
  assertProjectMember(project, caller);
  return project;
}

async function loadWorkspace(db: Firestore, workspaceId: string): Promise<WorkspaceDoc> {
  const snap = await workspaceDocs(db).doc(workspaceId).get();
  const data = snap.data();
  if (data === undefined) throw AppError.notFound(`Workspace ${workspaceId} not found`);
  return data;
}

/** Project owner, a workspace owner/admin, or a platform admin may manage a project's members. */
async function assertCanManageProject(
  db: Firestore,
  project: ProjectDoc,
  caller: Caller,
): Promise<void> {
  if (caller.admin || project.ownerId === caller.uid) return;
  const role = roleOf(await loadWorkspace(db, project.workspaceId), caller.uid);
  if (role === 'owner' || role === 'admin') return;
  throw AppError.forbidden('Only the project owner or a workspace owner/admin can manage members');
}

function notInWorkspace(field: string, userId: string): AppError {
  return new AppError(
    'UNPROCESSABLE_ENTITY',
    `${field}: ${userId} is not a member of the workspace`,
    [{ field, message: 'not a member of the workspace' }],
  );
}

/**
 * Creates a project in a workspace the caller belongs to; the caller owns it. Members must already
 * be workspace members. With a client-chosen `id`, a retry returns the first attempt's project.
 */
export async function createProject(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  input: {
    id?: string | undefined;
    workspaceId: string;
    name: string;
    description: string;
    members: string[];
  },
): Promise<Project> {
  const ws = await loadWorkspace(db, input.workspaceId);
  if (roleOf(ws, caller.uid) === undefined && !caller.admin) throw AppError.forbidden();
  input.members.forEach((m, i) => {
    if (!ws.members.includes(m)) throw notInWorkspace(`members.${i}`, m);
  });
  const members = [...new Set([caller.uid, ...input.members])];
  const now = Timestamp.fromDate(clock.now());
  const doc: ProjectDoc = {
    name: input.name,
    description: input.description,
    workspaceId: input.workspaceId,
    ownerId: caller.uid,
    members,
    createdAt: now,
    updatedAt: now,
  };
  const ref = input.id === undefined ? projectDocs(db).doc() : projectDocs(db).doc(input.id);
  try {
    await ref.create(doc);
    return toProject(ref.id, doc);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = (await ref.get()).data();
    if (existing === undefined) throw e;
    if (existing.ownerId !== caller.uid)
      throw new AppError('CONFLICT', `Project ${ref.id} already exists`);
    return toProject(ref.id, existing);
  }
}

export async function getProject(
  db: Firestore,
  projectId: string,
  caller: Caller,
): Promise<Project> {
  return toProject(projectId, await loadProjectFor(db, projectId, caller));
}

/** The caller's projects (optionally in one workspace), newest first. */
export async function listMyProjects(
  db: Firestore,
  uid: string,
  workspaceId: string | undefined,
  limit: number,
): Promise<Project[]> {
  const shape = workspaceId === undefined ? MY_PROJECTS_QUERY : MY_PROJECTS_IN_WORKSPACE_QUERY;
  const snap = await applyShape(projectDocs(db), shape, {
    equals: { workspaceId },
    arrayContains: uid,
  })
    .limit(limit)
    .get();
  return snap.docs.map((d) => toProject(d.id, d.data()));
}

export async function addProjectMember(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  projectId: string,
  userId: string,
): Promise<Project> {
  const project = await loadProject(db, projectId);
  await assertCanManageProject(db, project, caller);
  const projectRef = projectDocs(db).doc(projectId);
  // In one transaction with the workspace read: a member removed from the workspace meanwhile
  // cannot be added back to one of its projects.
  return db.runTransaction(async (tx) => {
    const [projectSnap, wsSnap] = await Promise.all([
      tx.get(projectRef),
      tx.get(workspaceDocs(db).doc(project.workspaceId)),
    ]);
    const current = projectSnap.data();
    if (current === undefined) throw AppError.notFound(`Project ${projectId} not found`);
    const ws = wsSnap.data();
    if (!(ws?.members ?? []).includes(userId)) throw notInWorkspace('userId', userId);
    if (current.members.includes(userId)) return toProject(projectId, current);
    const now = Timestamp.fromDate(clock.now());
    const members = [...current.members, userId];
    tx.update(projectRef, { members, updatedAt: now });
    return toProject(projectId, { ...current, members, updatedAt: now });
  });
}

/**
 * Takes a member off a project (the member may leave by themselves). The project owner stays.
 * Their tasks in the project are unassigned, so "the assignee is a project member" keeps holding.
 */
export async function removeProjectMember(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  projectId: string,
  userId: string,
): Promise<{ removed: boolean; tasksUnassigned: number }> {
  const project = await loadProject(db, projectId);
  if (caller.uid !== userId) await assertCanManageProject(db, project, caller);
  else assertProjectMember(project, caller);
  if (userId === project.ownerId) {
    throw new AppError('UNPROCESSABLE_ENTITY', 'userId: the project owner cannot be removed', [
      { field: 'userId', message: 'project owner' },
    ]);
  }
  if (!project.members.includes(userId)) return { removed: false, tasksUnassigned: 0 };
  return detachFromProject(db, clock, projectId, userId);
}

/** Removes `userId` from a project's members and unassigns their tasks there, in batches. */
export async function detachFromProject(
  db: Firestore,
  clock: Clock,
  projectId: string,
  userId: string,
): Promise<{ removed: boolean; tasksUnassigned: number }> {
  await db
    .collection(PROJECTS)
    .doc(projectId)
    .update({
      members: FieldValue.arrayRemove(userId),
      updatedAt: Timestamp.fromDate(clock.now()),
    });
  let tasksUnassigned = 0;
  for (;;) {
    const page = await applyShape(taskDocs(db), PROJECT_TASKS_OF_ASSIGNEE_QUERY, {
      equals: { projectId, assigneeId: userId },
    })
      .limit(BATCH_SIZE)
      .get();
    if (page.empty) break;
    const batch = db.batch();
    const now = Timestamp.fromDate(clock.now());
    for (const d of page.docs)
      batch.update(d.ref, { assigneeId: null, updatedAt: now, updatedBy: null });
    await batch.commit();
    tasksUnassigned += page.size;
    if (page.size < BATCH_SIZE) break;
  }
  return { removed: true, tasksUnassigned };
}
