import { Timestamp } from 'firebase-admin/firestore';
import {
  DEFAULT_PROFILE_NAME,
  newUserProfile,
  profileName,
} from '../../src/domain/users/account.service';
import { DEFAULT_PREFERENCES } from '../../src/domain/users/preferences.schema';

describe('profileName', () => {
  it.each([
    [{ displayName: 'Ada Lovelace', email: 'ada@taskflow.test' }, 'Ada Lovelace'],
    [{ displayName: '  Ada  ' }, 'Ada'],
    [{ displayName: '   ', email: 'ada.l+work@taskflow.test' }, 'ada.l+work'],
    [{ displayName: null, email: 'ada@taskflow.test' }, 'ada'],
    [{ email: '"a@b"@taskflow.test' }, '"a@b"'],
    [{ email: '@taskflow.test' }, DEFAULT_PROFILE_NAME],
    [{ email: '' }, DEFAULT_PROFILE_NAME],
    [{}, DEFAULT_PROFILE_NAME],
  ])('%j → %s', (account, expected) => {
    expect(profileName(account)).toBe(expected);
  });

  it("falls back to 'TaskFlow user' (anonymous and phone sign-ins have neither)", () => {
    expect(DEFAULT_PROFILE_NAME).toBe('TaskFlow user');
  });
});

describe('newUserProfile', () => {
  it('fills in the defaults and stores absent contact fields as null', () => {
    const now = Timestamp.fromMillis(Date.UTC(2026, 10, 23, 10));
    const profile = newUserProfile({ uid: 'u1', email: ' ', photoURL: undefined }, now);
    expect(profile).toEqual({
      name: DEFAULT_PROFILE_NAME,
      email: null,
      photoUrl: null,
      timezone: 'UTC',
      locale: 'en',
      notificationPreferences: DEFAULT_PREFERENCES,
      createdAt: now,
      updatedAt: now,
    });
    // A copy: the frozen defaults must not be shared with (and mutated through) a profile.
    expect(profile.notificationPreferences).not.toBe(DEFAULT_PREFERENCES);
  });
});
