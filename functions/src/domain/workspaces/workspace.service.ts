import {
  FieldValue,
  Timestamp,
  type DocumentReference,
  type Firestore,
  type Transaction,
} from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import type { Caller } from '../../core/operation';
import type { QueryShape } from '../../core/query-shape';
import { applyShape } from '../../core/query-shape';
import { EPOCH, iso } from '../shared.schema';
import type { Workspace, WorkspaceDoc, WorkspaceRole } from './workspace.schema';
import { PROJECTS, USERS, WORKSPACES } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import { memberRemovalRef, projectDocs, workspaceDocs } from '../../storage/refs';

export const MY_WORKSPACES_QUERY: QueryShape = {
  collection: WORKSPACES,
  equals: [],
  arrayContains: 'members',
  orderBy: [['createdAt', 'desc']],
};

/** The projects of one workspace a given user belongs to (to detach a leaving member). */
export const WORKSPACE_PROJECTS_OF_MEMBER_QUERY: QueryShape = {
  collection: PROJECTS,
  equals: ['workspaceId'],
  arrayContains: 'members',
  orderBy: [],
};

export function toWorkspace(id: string, d: WorkspaceDoc): Workspace {
  return {
    id,
    name: d.name,
    description: d.description ?? '',
    ownerId: d.ownerId,
    members: d.members,
    roles: d.roles,
    createdAt: iso(d.createdAt) ?? EPOCH,
    // Documents written before updatedAt was kept (and the first demo seeds) have none.
    updatedAt: iso(d.updatedAt) ?? iso(d.createdAt) ?? EPOCH,
  };
}

export function roleOf(ws: WorkspaceDoc, uid: string): WorkspaceRole | undefined {
  return ws.members.includes(uid) ? (ws.roles[uid] ?? 'member') : undefined;
}

export function countOwners(ws: WorkspaceDoc): number {
  return ws.members.filter((m) => ws.roles[m] === 'owner').length;
}

/** Loads a workspace the caller may see: 404 if it does not exist, 403 if not a member. */
export async function loadWorkspaceFor(
  db: Firestore,
  workspaceId: string,
  caller: Caller,
): Promise<{ ws: WorkspaceDoc; role: WorkspaceRole | undefined }> {
  const snap = await workspaceDocs(db).doc(workspaceId).get();
  const ws = snap.data();
  if (ws === undefined) throw AppError.notFound(`Workspace ${workspaceId} not found`);
  const role = roleOf(ws, caller.uid);
  if (role === undefined && !caller.admin) throw AppError.forbidden();
  return { ws, role };
}

async function assertUserExists(db: Firestore, userId: string): Promise<void> {
  const snap = await db.collection(USERS).doc(userId).get();
  if (!snap.exists) {
    throw new AppError('UNPROCESSABLE_ENTITY', `userId: no user ${userId}`, [
      { field: 'userId', message: 'no such user' },
    ]);
  }
}

/**
 * Creates a workspace whose only member is its creator, as owner. With a client-chosen `id` a
 * retried request returns the workspace the first attempt created instead of a duplicate.
 */
export async function createWorkspace(
  db: Firestore,
  clock: Clock,
  owner: Caller,
  input: { id?: string | undefined; name: string; description: string },
): Promise<Workspace> {
  const ref = input.id === undefined ? workspaceDocs(db).doc() : workspaceDocs(db).doc(input.id);
  const now = Timestamp.fromDate(clock.now());
  const doc: WorkspaceDoc = {
    name: input.name,
    description: input.description,
    ownerId: owner.uid,
    members: [owner.uid],
    roles: { [owner.uid]: 'owner' },
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ref.create(doc);
    return toWorkspace(ref.id, doc);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const existing = (await ref.get()).data();
    if (existing === undefined) throw e;
    if (existing.ownerId !== owner.uid)
      throw new AppError('CONFLICT', `Workspace ${ref.id} already exists`);
    return toWorkspace(ref.id, existing);
  }
}

export async function getWorkspace(
  db: Firestore,
  workspaceId: string,
  caller: Caller,
): Promise<Workspace> {
  const { ws } = await loadWorkspaceFor(db, workspaceId, caller);
  return toWorkspace(workspaceId, ws);
}

/** The caller's workspaces, newest first (at most `limit`). */
export async function listMyWorkspaces(
  db: Firestore,
  uid: string,
  limit: number,
): Promise<Workspace[]> {
  const snap = await applyShape(workspaceDocs(db), MY_WORKSPACES_QUERY, {
    equals: {},
    arrayContains: uid,
  })
    .limit(limit)
    .get();
  return snap.docs.map((d) => toWorkspace(d.id, d.data()));
}

/** Reads a workspace inside a transaction: 404 if missing, 403 unless a member (or admin). */
async function readForMember(
  tx: Transaction,
  ref: DocumentReference<WorkspaceDoc>,
  caller: Caller,
): Promise<{ ws: WorkspaceDoc; callerRole: WorkspaceRole | undefined }> {
  const snap = await tx.get(ref);
  const ws = snap.data();
  if (ws === undefined) throw AppError.notFound(`Workspace ${ref.id} not found`);
  const callerRole = roleOf(ws, caller.uid);
  if (callerRole === undefined && !caller.admin) throw AppError.forbidden();
  return { ws, callerRole };
}

/** Who may manage members: workspace owners and admins, and platform admins. */
function assertCanManage(role: WorkspaceRole | undefined, caller: Caller): void {
  if (caller.admin || role === 'owner' || role === 'admin') return;
  throw AppError.forbidden('Only workspace owners and admins can manage members');
}

/** Granting or taking away owner/admin needs an owner (admins may grant admin; platform admins anything). */
export function assertCanGrant(
  role: WorkspaceRole | undefined,
  caller: Caller,
  granted: WorkspaceRole,
): void {
  if (granted === 'member' || caller.admin || role === 'owner') return;
  if (granted === 'admin' && role === 'admin') return;
  throw AppError.forbidden(`Only a workspace owner can grant the ${granted} role`);
}

export async function addWorkspaceMember(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  workspaceId: string,
  userId: string,
  role: WorkspaceRole,
): Promise<Workspace> {
  await assertUserExists(db, userId);
  const ref = workspaceDocs(db).doc(workspaceId);
  return db.runTransaction(async (tx) => {
    const { ws, callerRole } = await readForMember(tx, ref, caller);
    assertCanManage(callerRole, caller);
    assertCanGrant(callerRole, caller, role);
    const current = roleOf(ws, userId);
    if (current === role) return toWorkspace(workspaceId, ws);
    if (current !== undefined) {
      throw new AppError('CONFLICT', `${userId} is already a ${current}; change the role instead`);
    }
    const now = Timestamp.fromDate(clock.now());
    tx.update(ref, {
      members: FieldValue.arrayUnion(userId),
      [`roles.${userId}`]: role,
      updatedAt: now,
    });
    return toWorkspace(workspaceId, {
      ...ws,
      members: [...ws.members, userId],
      roles: { ...ws.roles, [userId]: role },
      updatedAt: now,
    });
  });
}

export async function changeWorkspaceRole(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  workspaceId: string,
  userId: string,
  role: WorkspaceRole,
): Promise<Workspace> {
  const ref = workspaceDocs(db).doc(workspaceId);
  return db.runTransaction(async (tx) => {
    const { ws, callerRole } = await readForMember(tx, ref, caller);
    assertCanManage(callerRole, caller);
    const current = roleOf(ws, userId);
    if (current === undefined)
      throw AppError.notFound(`${userId} is not a member of ${workspaceId}`);
    // Changing an owner or an admin is a grant too: only owners may demote owners.
    assertCanGrant(callerRole, caller, role);
    if (current !== 'member') assertCanGrant(callerRole, caller, current);
    if (current === role) return toWorkspace(workspaceId, ws);
    if (current === 'owner' && countOwners(ws) === 1) {
      throw new AppError(
        'UNPROCESSABLE_ENTITY',
        'role: the last owner cannot be demoted; make another member owner first',
        [{ field: 'role', message: 'last owner' }],
      );
    }
    const now = Timestamp.fromDate(clock.now());
    tx.update(ref, { [`roles.${userId}`]: role, updatedAt: now });
    return toWorkspace(workspaceId, {
      ...ws,
      roles: { ...ws.roles, [userId]: role },
      updatedAt: now,
    });
  });
}

/**
 * Removes a member (or lets a member leave). The last owner cannot leave. In the same transaction
 * the member leaves every project of the workspace, and a project they owned passes to a
 * remaining workspace owner (added to its members), so no right outlives the membership. Their
 * tasks there are then unassigned in bounded batches; what is left of that is recorded
 * (`memberRemovals/{workspaceId}_{userId}`, written in the transaction, deleted when done), so a
 * retry after a crash finishes it even though the member is already gone.
 */
export async function removeWorkspaceMember(
  db: Firestore,
  clock: Clock,
  caller: Caller,
  workspaceId: string,
  userId: string,
  detach: (projectIds: string[]) => Promise<void>,
): Promise<{ removed: boolean }> {
  const ref = workspaceDocs(db).doc(workspaceId);
  const pending = memberRemovalRef(db, workspaceId, userId);
  // The member's projects in this workspace, found by query before the transaction and re-read
  // by reference inside it (a project that gains them meanwhile is caught by the retry below).
  const candidates = await applyShape(projectDocs(db), WORKSPACE_PROJECTS_OF_MEMBER_QUERY, {
    equals: { workspaceId },
    arrayContains: userId,
  }).get();
  const removed = await db.runTransaction(async (tx) => {
    const { ws, callerRole } = await readForMember(tx, ref, caller);
    const current = roleOf(ws, userId);
    if (caller.uid !== userId) {
      assertCanManage(callerRole, caller);
      if (current === 'owner' || current === 'admin') assertCanGrant(callerRole, caller, current);
    }
    if (current === undefined) return false;
    if (current === 'owner' && countOwners(ws) === 1) {
      throw new AppError(
        'UNPROCESSABLE_ENTITY',
        'userId: the last owner cannot leave; make another member owner first',
        [{ field: 'userId', message: 'last owner' }],
      );
    }
    const refs = candidates.docs.map((d) => d.ref);
    // One transactional get per project (the embedded test server's transactional BatchGet is
    // unreliable when other transactions run at the same time).
    const projects = (await Promise.all(refs.map((r) => tx.get(r))))
      .map((snap) => ({ ref: snap.ref, id: snap.id, doc: snap.data() }))
      .filter((p) => p.doc?.members.includes(userId) === true);
    // Who takes over the projects the member owned: a remaining workspace owner.
    const heir = Object.entries(ws.roles)
      .filter(([m, r]) => m !== userId && r === 'owner')
      .map(([m]) => m)
      .sort()[0];
    const now = Timestamp.fromDate(clock.now());
    for (const project of projects) {
      const members = (project.doc?.members ?? []).filter((m) => m !== userId);
      const owned = project.doc?.ownerId === userId;
      if (owned && heir !== undefined && !members.includes(heir)) members.push(heir);
      tx.update(project.ref, {
        members,
        ...(owned && heir !== undefined ? { ownerId: heir } : {}),
        updatedAt: now,
      });
    }
    // The whole roles map is rewritten (we hold it in this transaction) rather than deleting one
    // key with FieldValue.delete(): the embedded test server ignores nested field deletes.
    const roles = Object.fromEntries(Object.entries(ws.roles).filter(([m]) => m !== userId));
    tx.update(ref, {
      members: FieldValue.arrayRemove(userId),
      roles,
      updatedAt: now,
    });
    tx.set(pending, {
      workspaceId,
      userId,
      projectIds: projects.map((d) => d.id),
      createdAt: now,
    });
    return true;
  });
  // Also on a retry (removed already): whatever a crashed run left is still recorded.
  const left = (await pending.get()).data();
  if (left !== undefined) {
    await detach(left.projectIds);
    await pending.delete();
  }
  return { removed };
}
