import {
  decide,
  onReinvite,
  statusAt,
  type InvitationAction,
  type InvitationStatus,
} from '../../src/domain/invitations/invitation-state';

const EXPIRES = new Date('2026-12-07T10:00:00Z');

describe('invitation state machine', () => {
  it('a pending invitation expires at expiresAt (derived, not stored)', () => {
    expect(statusAt('pending', EXPIRES, new Date('2026-12-07T09:59:59Z'))).toBe('pending');
    expect(statusAt('pending', EXPIRES, EXPIRES)).toBe('expired');
    expect(statusAt('accepted', EXPIRES, new Date('2027-01-01T00:00:00Z'))).toBe('accepted');
  });

  const table: [InvitationStatus, InvitationAction, string][] = [
    ['pending', 'accept', 'apply:accepted'],
    ['pending', 'decline', 'apply:declined'],
    ['pending', 'revoke', 'apply:revoked'],
    ['accepted', 'accept', 'repeat'],
    ['declined', 'decline', 'repeat'],
    ['revoked', 'revoke', 'repeat'],
    ['expired', 'revoke', 'repeat'],
    ['expired', 'accept', 'refuse'],
    ['expired', 'decline', 'refuse'],
    ['accepted', 'decline', 'refuse'],
    ['accepted', 'revoke', 'refuse'],
    ['declined', 'accept', 'refuse'],
    ['revoked', 'accept', 'refuse'],
    ['revoked', 'decline', 'refuse'],
  ];
  it.each(table)('%s + %s → %s', (status, action, expected) => {
    const d = decide(status, action);
    expect(d.kind === 'apply' ? `apply:${d.status}` : d.kind).toBe(expected);
  });

  it('inviting again: same pending invitation returned, other role a conflict, else a new one', () => {
    expect(onReinvite(null, 'member')).toBe('create');
    expect(onReinvite({ status: 'pending', role: 'member' }, 'member')).toBe('return');
    expect(onReinvite({ status: 'pending', role: 'member' }, 'admin')).toBe('conflict');
    for (const status of ['accepted', 'declined', 'revoked', 'expired'] as const) {
      expect(onReinvite({ status, role: 'member' }, 'member')).toBe('create');
    }
  });
});
