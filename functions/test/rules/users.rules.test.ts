import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import { deleteField, serverTimestamp } from 'firebase/firestore';
import { chars, clientNow, PAST, useRulesEnv, without, type ClientDb } from './rules-env';

// users/{uid} (profile) and users/{uid}/devices/{deviceId}. The inbox (users/{uid}/notifications)
// is in inbox.rules.test.ts.

const ALICE_EMAIL = 'alice@taskflow.test';
const CAROL_EMAIL = 'carol@taskflow.test';

/** Every notification preference, each valid. */
const ALL_PREFERENCES = {
  emailNotifications: true,
  pushNotifications: false,
  dailySummary: true,
  weeklySummary: false,
  taskAssignment: true,
  taskDueDate: true,
  taskStatusChange: false,
  emailFrequency: 'weekly',
  digestHour: 8,
  weeklyDigestDay: 1,
  quietHours: { start: '22:00', end: '07:00' },
  reminderLeadMinutes: [1440, 60],
  overdueFollowUp: false,
};

const BOOLEAN_PREFERENCES = [
  'emailNotifications',
  'pushNotifications',
  'dailySummary',
  'weeklySummary',
  'taskAssignment',
  'taskDueDate',
  'taskStatusChange',
  'overdueFollowUp',
];

const rules = useRulesEnv(() => ({
  'users/alice': {
    name: 'Alice',
    email: ALICE_EMAIL,
    photoUrl: null,
    timezone: 'Europe/Berlin',
    locale: 'de-DE',
    notificationPreferences: { dailySummary: true },
    createdAt: PAST,
    updatedAt: PAST,
  },
  'users/bob': {
    name: 'Bob',
    email: 'bob@taskflow.test',
    timezone: 'UTC',
    locale: 'en',
    createdAt: PAST,
    updatedAt: PAST,
  },
  'users/alice/devices/phone': {
    token: 'fcm-alice-phone-0001',
    platform: 'ios',
    lastSeenAt: PAST,
    createdAt: PAST,
  },
  'users/alice/devices/registered': {
    token: 'fcm-alice-registered-01',
    platform: 'android',
    lastSeenAt: PAST,
    createdAt: PAST,
    indexedAt: PAST,
  },
  'users/bob/devices/tablet': {
    token: 'fcm-bob-tablet-00001',
    platform: 'android',
    lastSeenAt: PAST,
    createdAt: PAST,
  },
}));

/** Alice, signed in with her (verified) email in the token. */
function alice(): ClientDb {
  return rules.as('alice', { email: ALICE_EMAIL, email_verified: true });
}

/** Carol, signed in with her verified email, with no profile document yet. */
function carol(): ClientDb {
  return rules.as('carol', { email: CAROL_EMAIL, email_verified: true });
}

/** A complete, valid new profile for Carol. */
function newProfile(): Record<string, unknown> {
  return {
    name: 'Carol',
    email: CAROL_EMAIL,
    photoUrl: 'https://example.test/carol.png',
    timezone: 'America/Argentina/Buenos_Aires',
    locale: 'es-AR',
    notificationPreferences: ALL_PREFERENCES,
    createdAt: serverTimestamp(),
    updatedAt: serverTimestamp(),
  };
}

let newUsers = 0;

/**
 * A new user (no profile yet, email in the token; a fresh one each call, so that every write is a
 * create) creates their profile: Carol's valid one with `fields` on top.
 */
function createProfile(fields: Record<string, unknown>): Promise<void> {
  newUsers += 1;
  const uid = `new-user-${newUsers}`;
  return rules
    .as(uid, { email: CAROL_EMAIL, email_verified: true })
    .doc(`users/${uid}`)
    .set({ ...newProfile(), ...fields });
}

/** Alice replaces her notificationPreferences (an otherwise valid update). */
function setAlicePreferences(preferences: unknown): Promise<void> {
  return alice()
    .doc('users/alice')
    .update({ notificationPreferences: preferences, updatedAt: serverTimestamp() });
}

let newDevices = 0;

/** Alice registers a new device (a fresh id each call): `device` as it is. */
function createDevice(device: Record<string, unknown>): Promise<void> {
  newDevices += 1;
  return alice().doc(`users/alice/devices/new-device-${newDevices}`).set(device);
}

/** A valid device document, created or refreshed now. */
function newDevice(): Record<string, unknown> {
  return {
    token: 'fcm-alice-laptop-001',
    platform: 'web',
    lastSeenAt: serverTimestamp(),
    createdAt: serverTimestamp(),
  };
}

describe('users/{uid}: read', () => {
  it('lets a signed-in user read their own profile', async () => {
    await assertSucceeds(alice().doc('users/alice').get());
  });

  it('lets a signed-in user read their own profile before it exists', async () => {
    await assertSucceeds(carol().doc('users/carol').get());
  });

  it("denies reading another user's profile", async () => {
    await assertFails(alice().doc('users/bob').get());
  });

  it('denies listing the users collection, even filtered to oneself', async () => {
    await assertFails(alice().collection('users').get());
    await assertFails(alice().collection('users').where('email', '==', ALICE_EMAIL).get());
  });

  it('denies reading a profile when not signed in', async () => {
    await assertFails(rules.anonymous().doc('users/alice').get());
  });
});

describe('users/{uid}: create', () => {
  it('lets a user create their own complete profile', async () => {
    await assertSucceeds(createProfile({}));
  });

  it('lets a user create their profile with the timestamps alone (every field is optional)', async () => {
    await assertSucceeds(
      carol()
        .doc('users/carol')
        .set({ createdAt: serverTimestamp(), updatedAt: serverTimestamp() }),
    );
  });

  it('denies a key outside the profile', async () => {
    await assertFails(createProfile({ role: 'admin' }));
  });

  it('denies createdAt or updatedAt from the client clock, or missing', async () => {
    await assertFails(createProfile({ createdAt: clientNow() }));
    await assertFails(createProfile({ updatedAt: clientNow() }));
    await assertFails(carol().doc('users/carol').set(without(newProfile(), 'createdAt')));
    await assertFails(carol().doc('users/carol').set(without(newProfile(), 'updatedAt')));
  });

  it("denies an email that is not the signed-in account's", async () => {
    await assertFails(createProfile({ email: 'mallory@taskflow.test' }));
    // An account without an email (e.g. phone sign-in) cannot claim one.
    await assertFails(rules.as('carol').doc('users/carol').set(newProfile()));
    await assertSucceeds(rules.as('carol').doc('users/carol').set(without(newProfile(), 'email')));
  });

  it('denies an email Firebase Auth has not verified: the notification engine emails it', async () => {
    const unverified = rules.as('carol', { email: CAROL_EMAIL, email_verified: false });
    await assertFails(unverified.doc('users/carol').set(newProfile()));
    await assertSucceeds(unverified.doc('users/carol').set(without(newProfile(), 'email')));
    await assertFails(
      unverified.doc('users/carol').update({ email: CAROL_EMAIL, updatedAt: serverTimestamp() }),
    );
  });

  it("denies creating another user's profile", async () => {
    await assertFails(alice().doc('users/carol').set(without(newProfile(), 'email')));
  });

  it('denies creating a profile when not signed in', async () => {
    await assertFails(rules.anonymous().doc('users/carol').set(without(newProfile(), 'email')));
  });

  it('checks name: a string of 1 to 100 characters', async () => {
    await assertFails(createProfile({ name: '' }));
    await assertFails(createProfile({ name: chars(101) }));
    await assertFails(createProfile({ name: 42 }));
    await assertSucceeds(createProfile({ name: chars(100) }));
  });

  it('checks photoUrl: null or a string of at most 2048 characters', async () => {
    await assertFails(createProfile({ photoUrl: chars(2049) }));
    await assertFails(createProfile({ photoUrl: 42 }));
    await assertSucceeds(createProfile({ photoUrl: chars(2048) }));
    await assertSucceeds(createProfile({ photoUrl: null }));
  });

  it('checks timezone: an IANA-shaped name of 1 to 64 characters', async () => {
    await assertFails(createProfile({ timezone: '' }));
    await assertFails(createProfile({ timezone: chars(65, 'A') }));
    await assertFails(createProfile({ timezone: 'Europe/Not A Zone' }));
    await assertFails(createProfile({ timezone: 'Europe/' }));
    await assertFails(createProfile({ timezone: 120 }));
    await assertSucceeds(createProfile({ timezone: chars(64, 'A') }));
    await assertSucceeds(createProfile({ timezone: 'Etc/GMT+5' }));
  });

  it('checks locale: a string of 2 to 35 characters', async () => {
    await assertFails(createProfile({ locale: 'd' }));
    await assertFails(createProfile({ locale: chars(36) }));
    await assertFails(createProfile({ locale: ['de'] }));
    await assertSucceeds(createProfile({ locale: 'de' }));
    await assertSucceeds(createProfile({ locale: chars(35) }));
  });

  it('checks notificationPreferences on create too', async () => {
    await assertFails(createProfile({ notificationPreferences: { digestHour: 24 } }));
  });
});

describe('users/{uid}: update', () => {
  it('lets a user update their own profile (update and set-merge)', async () => {
    await assertSucceeds(
      alice()
        .doc('users/alice')
        .update({ name: 'Alice A.', timezone: 'Europe/Paris', updatedAt: serverTimestamp() }),
    );
    await assertSucceeds(
      alice()
        .doc('users/alice')
        .set(
          { photoUrl: 'https://example.test/a.png', updatedAt: serverTimestamp() },
          { merge: true },
        ),
    );
  });

  it('denies an update whose updatedAt is missing or from the client clock', async () => {
    await assertFails(alice().doc('users/alice').update({ name: 'Alice A.' }));
    await assertFails(
      alice().doc('users/alice').update({ name: 'Alice A.', updatedAt: clientNow() }),
    );
  });

  it('denies changing or removing createdAt', async () => {
    const db = alice();
    await assertFails(
      db.doc('users/alice').update({ createdAt: serverTimestamp(), updatedAt: serverTimestamp() }),
    );
    await assertFails(
      db.doc('users/alice').update({ createdAt: deleteField(), updatedAt: serverTimestamp() }),
    );
  });

  it('denies adding a key outside the profile', async () => {
    await assertFails(
      alice().doc('users/alice').update({ admin: true, updatedAt: serverTimestamp() }),
    );
  });

  it('leaves keys the server wrote alone: kept, they do not block an update; touched, denied', async () => {
    await rules.seed({ 'users/dave': { plan: 'pro', createdAt: PAST, updatedAt: PAST } });
    const dave = rules.as('dave');
    await assertSucceeds(
      dave.doc('users/dave').update({ name: 'Dave', updatedAt: serverTimestamp() }),
    );
    await assertFails(
      dave.doc('users/dave').update({ plan: 'enterprise', updatedAt: serverTimestamp() }),
    );
    await assertFails(
      dave.doc('users/dave').set({ name: 'Dave', createdAt: PAST, updatedAt: serverTimestamp() }),
    );
  });

  it('lets a user complete a profile the server created with preferences only', async () => {
    await rules.seed({
      'users/erin': { notificationPreferences: { digestHour: 7 }, updatedAt: PAST },
    });
    const erin = rules.as('erin', { email: 'erin@taskflow.test', email_verified: true });
    await assertSucceeds(
      erin
        .doc('users/erin')
        .update({ name: 'Erin', email: 'erin@taskflow.test', updatedAt: serverTimestamp() }),
    );
    // createdAt stays as it is, absent included.
    await assertFails(
      erin.doc('users/erin').update({ createdAt: serverTimestamp(), updatedAt: serverTimestamp() }),
    );
  });

  it("allows an email change only to the signed-in account's email, and no removal", async () => {
    const db = alice();
    await assertFails(
      db
        .doc('users/alice')
        .update({ email: 'mallory@taskflow.test', updatedAt: serverTimestamp() }),
    );
    await assertFails(
      db.doc('users/alice').update({ email: deleteField(), updatedAt: serverTimestamp() }),
    );
    // After a change of sign-in email (verified), the profile follows it.
    const renamed = rules.as('alice', { email: 'alice@new.test', email_verified: true });
    await assertSucceeds(
      renamed.doc('users/alice').update({ email: 'alice@new.test', updatedAt: serverTimestamp() }),
    );
  });

  it('does not check an unchanged email against the token', async () => {
    const renamed = rules.as('alice', { email: 'alice@new.test' });
    await assertSucceeds(
      renamed.doc('users/alice').update({ name: 'Alice A.', updatedAt: serverTimestamp() }),
    );
  });

  it('checks the fields of the updated profile', async () => {
    await assertFails(
      alice().doc('users/alice').update({ name: '', updatedAt: serverTimestamp() }),
    );
    await assertFails(
      alice()
        .doc('users/alice')
        .update({ locale: chars(36), updatedAt: serverTimestamp() }),
    );
  });

  it("denies updating another user's profile", async () => {
    await assertFails(
      alice().doc('users/bob').update({ name: 'Bobby', updatedAt: serverTimestamp() }),
    );
  });

  it('denies updating a profile when not signed in', async () => {
    await assertFails(
      rules.anonymous().doc('users/alice').update({ name: 'Anon', updatedAt: serverTimestamp() }),
    );
  });

  it('denies deleting a profile, own or not', async () => {
    await assertFails(alice().doc('users/alice').delete());
    await assertFails(alice().doc('users/bob').delete());
  });
});

describe('users/{uid}.suppressionCheck (server-owned: whether the address may be emailed)', () => {
  const CHECKED = {
    name: 'Fay',
    email: 'fay@taskflow.test',
    suppressionCheck: {
      email: 'fay@taskflow.test',
      suppressed: { reason: 'bounced', at: PAST },
    },
    createdAt: PAST,
    updatedAt: PAST,
  };
  const fay = () => rules.as('fay', { email: 'fay@taskflow.test', email_verified: true });

  it('denies creating a profile that carries a suppression state', async () => {
    await assertFails(
      createProfile({ suppressionCheck: { email: CAROL_EMAIL, suppressed: null } }),
    );
  });

  it('denies adding one to a profile that has none', async () => {
    await assertFails(
      alice()
        .doc('users/alice')
        .update({
          suppressionCheck: { email: ALICE_EMAIL, suppressed: null },
          updatedAt: serverTimestamp(),
        }),
    );
    await assertFails(
      alice()
        .doc('users/alice')
        .set(
          {
            suppressionCheck: { email: ALICE_EMAIL, suppressed: null },
            updatedAt: serverTimestamp(),
          },
          { merge: true },
        ),
    );
  });

  it('denies the owner clearing, changing or deleting the state the server recorded', async () => {
    await rules.seed({ 'users/fay': CHECKED });
    const doc = fay().doc('users/fay');
    await assertFails(
      doc.update({ 'suppressionCheck.suppressed': null, updatedAt: serverTimestamp() }),
    );
    await assertFails(
      doc.update({ 'suppressionCheck.email': 'other@taskflow.test', updatedAt: serverTimestamp() }),
    );
    await assertFails(
      doc.update({ suppressionCheck: deleteField(), updatedAt: serverTimestamp() }),
    );
    // A whole-document write that leaves it out deletes it: denied too.
    await assertFails(
      doc.set({
        name: 'Fay',
        email: 'fay@taskflow.test',
        createdAt: PAST,
        updatedAt: serverTimestamp(),
      }),
    );
  });

  it('lets the owner edit the rest of a profile that carries one', async () => {
    await rules.seed({ 'users/fay': CHECKED });
    await assertSucceeds(
      fay().doc('users/fay').update({ name: 'Fay F.', updatedAt: serverTimestamp() }),
    );
  });
});

describe('users/{uid}.notificationPreferences', () => {
  it('accepts every key with a valid value, and any subset of them', async () => {
    await assertSucceeds(setAlicePreferences(ALL_PREFERENCES));
    await assertSucceeds(setAlicePreferences({}));
    await assertSucceeds(setAlicePreferences({ pushNotifications: false }));
  });

  it('denies a key that is not a preference', async () => {
    await assertFails(setAlicePreferences({ ...ALL_PREFERENCES, smsNotifications: true }));
  });

  it('denies a value that is not a map', async () => {
    await assertFails(setAlicePreferences(true));
    await assertFails(setAlicePreferences([true]));
  });

  it('checks that the seven switches are booleans', async () => {
    for (const key of BOOLEAN_PREFERENCES) {
      await assertFails(setAlicePreferences({ [key]: 'yes' }));
      await assertSucceeds(setAlicePreferences({ [key]: false }));
    }
  });

  it('checks emailFrequency: daily, weekly or never', async () => {
    for (const frequency of ['daily', 'weekly', 'never']) {
      await assertSucceeds(setAlicePreferences({ emailFrequency: frequency }));
    }
    await assertFails(setAlicePreferences({ emailFrequency: 'hourly' }));
    await assertFails(setAlicePreferences({ emailFrequency: true }));
  });

  it('checks digestHour: an integer from 0 to 23', async () => {
    await assertSucceeds(setAlicePreferences({ digestHour: 0 }));
    await assertSucceeds(setAlicePreferences({ digestHour: 23 }));
    await assertFails(setAlicePreferences({ digestHour: -1 }));
    await assertFails(setAlicePreferences({ digestHour: 24 }));
    await assertFails(setAlicePreferences({ digestHour: 8.5 }));
    await assertFails(setAlicePreferences({ digestHour: '8' }));
  });

  it('checks weeklyDigestDay: an integer from 1 (Monday) to 7', async () => {
    await assertSucceeds(setAlicePreferences({ weeklyDigestDay: 1 }));
    await assertSucceeds(setAlicePreferences({ weeklyDigestDay: 7 }));
    await assertFails(setAlicePreferences({ weeklyDigestDay: 0 }));
    await assertFails(setAlicePreferences({ weeklyDigestDay: 8 }));
    await assertFails(setAlicePreferences({ weeklyDigestDay: 1.5 }));
  });

  it("checks quietHours: null or exactly {start, end} as 'HH:MM'", async () => {
    await assertSucceeds(setAlicePreferences({ quietHours: null }));
    await assertSucceeds(setAlicePreferences({ quietHours: { start: '00:00', end: '23:59' } }));
    await assertFails(setAlicePreferences({ quietHours: { start: '24:00', end: '07:00' } }));
    await assertFails(setAlicePreferences({ quietHours: { start: '22:00', end: '7:00' } }));
    await assertFails(setAlicePreferences({ quietHours: { start: '22:60', end: '07:00' } }));
    await assertFails(setAlicePreferences({ quietHours: { start: '22:00' } }));
    await assertFails(
      setAlicePreferences({ quietHours: { start: '22:00', end: '07:00', days: [1] } }),
    );
    await assertFails(setAlicePreferences({ quietHours: '22:00-07:00' }));
  });

  it('checks reminderLeadMinutes: at most 5 whole minutes, each 1 to 43200', async () => {
    await assertSucceeds(setAlicePreferences({ reminderLeadMinutes: [] }));
    await assertSucceeds(setAlicePreferences({ reminderLeadMinutes: [43200, 1440, 120, 60, 1] }));
    await assertFails(setAlicePreferences({ reminderLeadMinutes: [43200, 1440, 120, 60, 5, 1] }));
    await assertFails(setAlicePreferences({ reminderLeadMinutes: [0] }));
    await assertFails(setAlicePreferences({ reminderLeadMinutes: [43201] }));
    await assertFails(setAlicePreferences({ reminderLeadMinutes: [60.5] }));
    // Every slot is checked, the fifth included.
    await assertFails(setAlicePreferences({ reminderLeadMinutes: [60, 50, 40, 30, '20'] }));
    await assertFails(setAlicePreferences({ reminderLeadMinutes: 60 }));
  });
});

describe('users/{uid}/devices/{deviceId}: read', () => {
  it('lets a signed-in user read one of their own devices', async () => {
    await assertSucceeds(alice().doc('users/alice/devices/phone').get());
  });

  it('lets a signed-in user list their own devices', async () => {
    await assertSucceeds(alice().collection('users/alice/devices').get());
  });

  it("denies reading or listing another user's devices", async () => {
    await assertFails(alice().doc('users/bob/devices/tablet').get());
    await assertFails(alice().collection('users/bob/devices').get());
  });

  it("denies a collection-group query over every user's devices", async () => {
    await assertFails(alice().collectionGroup('devices').get());
  });

  it('denies reading devices when not signed in', async () => {
    await assertFails(rules.anonymous().doc('users/alice/devices/phone').get());
    await assertFails(rules.anonymous().collection('users/alice/devices').get());
  });
});

describe('users/{uid}/devices/{deviceId}: write', () => {
  it('lets a user register a device of each platform', async () => {
    for (const platform of ['ios', 'android', 'web']) {
      await assertSucceeds(
        alice()
          .doc(`users/alice/devices/${platform}`)
          .set({ ...newDevice(), platform }),
      );
    }
  });

  it('denies a key outside the device, or a missing one', async () => {
    const device = alice().doc('users/alice/devices/laptop');
    await assertFails(device.set({ ...newDevice(), userAgent: 'Firefox' }));
    for (const key of ['token', 'platform', 'lastSeenAt', 'createdAt']) {
      await assertFails(device.set(without(newDevice(), key)));
    }
  });

  it('checks token: printable, no spaces, 16 to 4096 characters', async () => {
    await assertFails(createDevice({ ...newDevice(), token: chars(15) }));
    await assertFails(createDevice({ ...newDevice(), token: chars(4097) }));
    await assertFails(createDevice({ ...newDevice(), token: 'fcm token with spaces' }));
    await assertFails(createDevice({ ...newDevice(), token: 1234567890123456 }));
    await assertSucceeds(createDevice({ ...newDevice(), token: chars(16) }));
    await assertSucceeds(createDevice({ ...newDevice(), token: chars(4096) }));
  });

  it('checks platform: ios, android or web', async () => {
    await assertFails(
      alice()
        .doc('users/alice/devices/laptop')
        .set({ ...newDevice(), platform: 'windows' }),
    );
  });

  it('denies lastSeenAt or createdAt from the client clock on create', async () => {
    const device = alice().doc('users/alice/devices/laptop');
    await assertFails(device.set({ ...newDevice(), lastSeenAt: clientNow() }));
    await assertFails(device.set({ ...newDevice(), createdAt: clientNow() }));
  });

  it('lets a user refresh their device (token rotation) with lastSeenAt now', async () => {
    await assertSucceeds(
      alice()
        .doc('users/alice/devices/phone')
        .update({ token: 'fcm-alice-phone-0002', lastSeenAt: serverTimestamp() }),
    );
  });

  it('denies a client setting indexedAt (the server mark that the token index names the device)', async () => {
    await assertFails(createDevice({ ...newDevice(), indexedAt: serverTimestamp() }));
    await assertFails(
      alice()
        .doc('users/alice/devices/phone')
        .update({ indexedAt: serverTimestamp(), lastSeenAt: serverTimestamp() }),
    );
  });

  it('keeps indexedAt only with the same token: a new token must drop it', async () => {
    const device = alice().doc('users/alice/devices/registered');
    await assertSucceeds(device.update({ lastSeenAt: serverTimestamp() }));
    await assertFails(
      device.update({ token: 'fcm-alice-registered-02', lastSeenAt: serverTimestamp() }),
    );
    await assertSucceeds(
      device.update({
        token: 'fcm-alice-registered-02',
        indexedAt: deleteField(),
        lastSeenAt: serverTimestamp(),
      }),
    );
  });

  it('denies an update that does not set lastSeenAt to now', async () => {
    const phone = alice().doc('users/alice/devices/phone');
    await assertFails(phone.update({ token: 'fcm-alice-phone-0002' }));
    await assertFails(phone.update({ token: 'fcm-alice-phone-0002', lastSeenAt: clientNow() }));
  });

  it('denies an update that changes createdAt', async () => {
    await assertFails(
      alice()
        .doc('users/alice/devices/phone')
        .update({ createdAt: serverTimestamp(), lastSeenAt: serverTimestamp() }),
    );
  });

  it('checks the updated device like a new one', async () => {
    const phone = alice().doc('users/alice/devices/phone');
    await assertFails(phone.update({ platform: 'blackberry', lastSeenAt: serverTimestamp() }));
    await assertFails(phone.update({ token: chars(15), lastSeenAt: serverTimestamp() }));
    await assertFails(phone.update({ userAgent: 'Safari', lastSeenAt: serverTimestamp() }));
  });

  it('lets a user delete their own device', async () => {
    await assertSucceeds(alice().doc('users/alice/devices/phone').delete());
  });

  it("denies creating, updating or deleting another user's device", async () => {
    const db = alice();
    await assertFails(db.doc('users/bob/devices/laptop').set(newDevice()));
    await assertFails(db.doc('users/bob/devices/tablet').update({ lastSeenAt: serverTimestamp() }));
    await assertFails(db.doc('users/bob/devices/tablet').delete());
  });

  it('denies writing devices when not signed in', async () => {
    const db = rules.anonymous();
    await assertFails(db.doc('users/alice/devices/laptop').set(newDevice()));
    await assertFails(db.doc('users/alice/devices/phone').delete());
  });
});

describe('subcollections of users/{uid} the rules do not name', () => {
  it('denies the owner reading and writing them (rules do not cascade)', async () => {
    const db = alice();
    await assertFails(db.doc('users/alice/private/notes').get());
    await assertFails(db.doc('users/alice/private/notes').set({ text: 'hi' }));
  });
});
