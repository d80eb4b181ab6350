import { createHash } from 'node:crypto';
import { FieldValue, Timestamp } from 'firebase-admin/firestore';
import { AppError } from '../../core/errors';
import type { Caller, Deps } from '../../core/operation';
import type { Logger } from '../../core/logger';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { iso } from '../shared.schema';
import type { Workspace, WorkspaceRole } from '../workspaces/workspace.schema';
import { assertCanGrant, roleOf, toWorkspace } from '../workspaces/workspace.service';
import { decide, onReinvite, statusAt, type StoredStatus } from './invitation-state';
import type { Invitation, InvitationDoc } from './invitation.schema';
import { notifyInvitee } from './invitation-notice.service';
import { INVITATIONS, USERS } from '../../storage/collections';
import { invitationDocs, workspaceDocs } from '../../storage/refs';

/**
 * Workspace invitations: a member invites an email address; the person behind it (once they
 * have an account whose verified address it is) accepts or declines. Membership begins only on
 * acceptance. One document per workspace and address (`invitations/{id}`, id derived from both),
 * so inviting twice finds the first invitation instead of making a second. How the invitee is
 * told (inbox, push, one email per round) is `invitation-notice.service.ts`.
 */

export const DEFAULT_INVITATION_TTL_DAYS = 14;

/** A workspace's open invitations, newest first (members and admins see them). */
export const WORKSPACE_INVITATIONS_QUERY: QueryShape = {
  collection: INVITATIONS,
  equals: ['workspaceId', 'status'],
  orderBy: [['createdAt', 'desc']],
};

/** The open invitations of one (verified) address, newest first. */
export const MY_INVITATIONS_QUERY: QueryShape = {
  collection: INVITATIONS,
  equals: ['email', 'status'],
  orderBy: [['createdAt', 'desc']],
};

/** Addresses are compared trimmed and in lower case (as Firebase Auth stores them). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function invitationIdFor(workspaceId: string, email: string): string {
  const h = createHash('sha256')
    .update(`${workspaceId}\n${normalizeEmail(email)}`)
    .digest('hex');
  return `inv_${h.slice(0, 32)}`;
}

function toInvitation(id: string, d: InvitationDoc, now: Date): Invitation {
  return {
    id,
    workspaceId: d.workspaceId,
    workspaceName: d.workspaceName,
    email: d.email,
    role: d.role,
    status: statusAt(d.status, d.expiresAt.toDate(), now),
    invitedBy: d.invitedBy,
    createdAt: iso(d.createdAt) ?? '',
    expiresAt: iso(d.expiresAt) ?? '',
    respondedAt: iso(d.respondedAt),
  };
}

/** The caller's verified address, or 403/412 explaining what is missing. */
function verifiedEmailOf(caller: Caller): string {
  if (caller.email === undefined || caller.email === '') {
    throw AppError.forbidden('Your account has no email address');
  }
  if (caller.emailVerified !== true) {
    throw new AppError('FAILED_PRECONDITION', 'Verify your email address first');
  }
  return normalizeEmail(caller.email);
}

export interface InviteInput {
  workspaceId: string;
  email: string;
  role: WorkspaceRole;
}

/**
 * Invites `email` to a workspace: any member may invite members; only owners (and admins, for
 * admin) grant higher roles. The invitee gets an inbox item (and push) if an account has that
 * address, and an email at that address either way. Safe to repeat: a pending invitation with the
 * same role is returned (and its notifications, made exactly once, completed if a first attempt
 * stopped half-way).
 */
export async function inviteToWorkspace(
  deps: Deps,
  logger: Logger,
  caller: Caller,
  input: InviteInput,
): Promise<Invitation> {
  const { db, clock } = deps;
  const email = normalizeEmail(input.email);
  const inviteeId = await deps.accounts.uidByEmail(email);
  const ttlDays = deps.invitationTtlDays ?? DEFAULT_INVITATION_TTL_DAYS;
  const wsRef = workspaceDocs(db).doc(input.workspaceId);
  const ref = invitationDocs(db).doc(invitationIdFor(input.workspaceId, email));
  const doc = await db.runTransaction(async (tx) => {
    const [wsSnap, invSnap] = await Promise.all([tx.get(wsRef), tx.get(ref)]);
    const ws = wsSnap.data();
    if (ws === undefined) throw AppError.notFound(`Workspace ${input.workspaceId} not found`);
    const callerRole = roleOf(ws, caller.uid);
    if (callerRole === undefined && !caller.admin) throw AppError.forbidden();
    assertCanGrant(callerRole, caller, input.role);
    if (inviteeId !== null && roleOf(ws, inviteeId) !== undefined) {
      throw new AppError('CONFLICT', `${email} is already a member of this workspace`);
    }
    const now = clock.now();
    const existing = invSnap.data() ?? null;
    const next = onReinvite(
      existing && {
        status: statusAt(existing.status, existing.expiresAt.toDate(), now),
        role: existing.role,
      },
      input.role,
    );
    if (next === 'conflict') {
      throw new AppError(
        'CONFLICT',
        `${email} already has a pending invitation with another role; revoke it first`,
      );
    }
    if (next === 'return' && existing !== null) return existing;
    const ts = Timestamp.fromDate(now);
    const created: InvitationDoc = {
      workspaceId: input.workspaceId,
      workspaceName: ws.name,
      email,
      role: input.role,
      status: 'pending',
      invitedBy: caller.uid,
      inviterName: caller.email ?? null,
      inviteeId,
      round: (existing?.round ?? 0) + 1,
      createdAt: ts,
      updatedAt: ts,
      expiresAt: Timestamp.fromMillis(now.getTime() + ttlDays * 86_400_000),
      respondedAt: null,
      acceptedBy: null,
    };
    tx.set(ref, created);
    return created;
  });
  await notifyInvitee(deps, logger, ref.id, doc);
  return toInvitation(ref.id, doc, clock.now());
}

async function respond(
  deps: Deps,
  caller: Caller,
  invitationId: string,
  action: 'accept' | 'decline',
): Promise<{ invitation: Invitation; workspace: Workspace | null }> {
  const { db, clock } = deps;
  const email = verifiedEmailOf(caller);
  const ref = invitationDocs(db).doc(invitationId);
  const result = await db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const inv = snap.data() ?? null;
    // Someone else's invitation is "not found" too: ids must not confirm who was invited.
    if (inv === null || inv.email !== email) {
      throw AppError.notFound(`Invitation ${invitationId} not found`);
    }
    const wsRef = workspaceDocs(db).doc(inv.workspaceId);
    const wsSnap = await tx.get(wsRef);
    const ws = wsSnap.data();
    if (ws === undefined) throw AppError.notFound(`Workspace ${inv.workspaceId} not found`);
    const now = clock.now();
    const decision = decide(statusAt(inv.status, inv.expiresAt.toDate(), now), action);
    if (decision.kind === 'refuse') {
      throw new AppError('FAILED_PRECONDITION', `Cannot ${action}: ${decision.reason}`);
    }
    if (decision.kind === 'repeat') return { inv, ws };
    const ts = Timestamp.fromDate(now);
    const patch: Partial<InvitationDoc> = {
      status: decision.status,
      respondedAt: ts,
      updatedAt: ts,
      ...(action === 'accept' ? { acceptedBy: caller.uid } : {}),
    };
    tx.update(ref, patch);
    let after = ws;
    if (action === 'accept' && roleOf(ws, caller.uid) === undefined) {
      // The whole roles map is written (we hold it in this transaction), as removal does: the
      // embedded test server does not apply nested field paths.
      tx.update(wsRef, {
        members: FieldValue.arrayUnion(caller.uid),
        roles: { ...ws.roles, [caller.uid]: inv.role },
        updatedAt: ts,
      });
      after = {
        ...ws,
        members: [...ws.members, caller.uid],
        roles: { ...ws.roles, [caller.uid]: inv.role },
        updatedAt: ts,
      };
    }
    return { inv: { ...inv, ...patch }, ws: after };
  });
  if (action === 'accept') await recordVerifiedEmail(deps, caller.uid, email);
  return {
    invitation: toInvitation(invitationId, result.inv, clock.now()),
    workspace: action === 'accept' ? toWorkspace(result.inv.workspaceId, result.ws) : null,
  };
}

/**
 * Accepting proves the address: the profile's `email` (where the notification engine sends
 * email) becomes it, when the profile exists and holds another or none.
 */
async function recordVerifiedEmail(deps: Deps, uid: string, email: string): Promise<void> {
  const ref = deps.db.collection(USERS).doc(uid);
  const snap = await ref.get();
  if (!snap.exists || snap.get('email') === email) return;
  await ref.update({ email, updatedAt: Timestamp.fromDate(deps.clock.now()) });
}

/** Accepts an invitation of the caller's verified address: membership begins now. Repeatable. */
export function acceptInvitation(deps: Deps, caller: Caller, invitationId: string) {
  return respond(deps, caller, invitationId, 'accept');
}

/** Declines an invitation of the caller's verified address. Repeatable. */
export async function declineInvitation(
  deps: Deps,
  caller: Caller,
  invitationId: string,
): Promise<Invitation> {
  return (await respond(deps, caller, invitationId, 'decline')).invitation;
}

/** Revokes a pending invitation: its inviter, the workspace's owners and admins, or an admin. */
export async function revokeInvitation(
  deps: Deps,
  caller: Caller,
  invitationId: string,
): Promise<Invitation> {
  const { db, clock } = deps;
  const ref = invitationDocs(db).doc(invitationId);
  const doc = await db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const inv = snap.data();
    if (inv === undefined) throw AppError.notFound(`Invitation ${invitationId} not found`);
    const wsSnap = await tx.get(workspaceDocs(db).doc(inv.workspaceId));
    const ws = wsSnap.data();
    const role = ws === undefined ? undefined : roleOf(ws, caller.uid);
    if (role === undefined && !caller.admin) {
      throw AppError.notFound(`Invitation ${invitationId} not found`);
    }
    if (!(caller.admin || inv.invitedBy === caller.uid || role === 'owner' || role === 'admin')) {
      throw AppError.forbidden('Only the inviter or a workspace owner or admin can revoke it');
    }
    const now = clock.now();
    const decision = decide(statusAt(inv.status, inv.expiresAt.toDate(), now), 'revoke');
    if (decision.kind === 'refuse') {
      throw new AppError('FAILED_PRECONDITION', `Cannot revoke: ${decision.reason}`);
    }
    if (decision.kind === 'repeat') return inv;
    const ts = Timestamp.fromDate(now);
    const patch = { status: 'revoked' as StoredStatus, respondedAt: ts, updatedAt: ts };
    tx.update(ref, patch);
    return { ...inv, ...patch };
  });
  return toInvitation(invitationId, doc, clock.now());
}

/** A workspace's pending invitations (expired ones show as `expired`), for its members. */
export async function listWorkspaceInvitations(
  deps: Deps,
  caller: Caller,
  workspaceId: string,
  limit: number,
): Promise<Invitation[]> {
  const { db, clock } = deps;
  const wsSnap = await workspaceDocs(db).doc(workspaceId).get();
  const ws = wsSnap.data();
  if (ws === undefined) throw AppError.notFound(`Workspace ${workspaceId} not found`);
  if (roleOf(ws, caller.uid) === undefined && !caller.admin) {
    throw AppError.forbidden();
  }
  const snap = await applyShape(invitationDocs(db), WORKSPACE_INVITATIONS_QUERY, {
    equals: { workspaceId, status: 'pending' },
  })
    .limit(limit)
    .get();
  const now = clock.now();
  return snap.docs.map((d) => toInvitation(d.id, d.data(), now));
}

/** The invitations the caller can still accept, by their verified address. */
export async function listMyInvitations(
  deps: Deps,
  caller: Caller,
  limit: number,
): Promise<Invitation[]> {
  const { db, clock } = deps;
  const email = verifiedEmailOf(caller);
  const snap = await applyShape(invitationDocs(db), MY_INVITATIONS_QUERY, {
    equals: { email, status: 'pending' },
  })
    .limit(limit)
    .get();
  const now = clock.now();
  return snap.docs
    .map((d) => toInvitation(d.id, d.data(), now))
    .filter((i) => i.status === 'pending');
}
