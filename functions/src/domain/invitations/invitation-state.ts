/**
 * The life of an invitation, as a pure decision: what an accept, decline or revoke does to an
 * invitation in a given state. Stored statuses are pending, accepted, declined and revoked; a
 * pending invitation past its expiry is `expired` (derived, never written, so no sweep is needed).
 */

export type StoredStatus = 'pending' | 'accepted' | 'declined' | 'revoked';
export type InvitationStatus = StoredStatus | 'expired';
export type InvitationAction = 'accept' | 'decline' | 'revoke';

/** The status an invitation has at `now`. */
export function statusAt(stored: StoredStatus, expiresAt: Date, now: Date): InvitationStatus {
  return stored === 'pending' && now.getTime() >= expiresAt.getTime() ? 'expired' : stored;
}

export type Decision =
  /** Write the new status. */
  | { kind: 'apply'; status: StoredStatus }
  /** Already done (a retry): answer as if it had just been done, write nothing. */
  | { kind: 'repeat' }
  /** Not possible in this state: 409/failed-precondition with this reason. */
  | { kind: 'refuse'; reason: string };

const DONE: Record<InvitationAction, StoredStatus> = {
  accept: 'accepted',
  decline: 'declined',
  revoke: 'revoked',
};

/** What `action` does to an invitation whose status (at now) is `status`. */
export function decide(status: InvitationStatus, action: InvitationAction): Decision {
  if (status === DONE[action]) return { kind: 'repeat' };
  if (status === 'pending') return { kind: 'apply', status: DONE[action] };
  if (status === 'expired') {
    // Revoking an expired invitation changes nothing anyone can do with it: treat it as done.
    return action === 'revoke'
      ? { kind: 'repeat' }
      : { kind: 'refuse', reason: 'the invitation has expired; ask for a new one' };
  }
  return { kind: 'refuse', reason: `the invitation was already ${status}` };
}

/**
 * What an invite does when an invitation for the same workspace and address exists: a pending
 * one with the same role is returned as is (inviting twice is safe); with another role it is a
 * conflict (revoke it first); any other state is replaced by a fresh invitation.
 */
export function onReinvite(
  existing: { status: InvitationStatus; role: string } | null,
  role: string,
): 'create' | 'return' | 'conflict' {
  if (existing === null || existing.status !== 'pending') return 'create';
  return existing.role === role ? 'return' : 'conflict';
}
