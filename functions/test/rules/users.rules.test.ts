import {
  assertFails,
  assertSucceeds,
  type RulesTestEnvironment,
} from '@firebase/rules-unit-testing';
import { seed, startRulesEnv, type ClientDb } from './rules-env';

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnv();
});

beforeEach(async () => {
  await env.clearFirestore();
  await seed(env, {
    'users/alice': { email: 'alice@taskflow.test', preferences: { dailySummary: true } },
    'users/bob': { email: 'bob@taskflow.test', preferences: { dailySummary: false } },
    'users/alice/devices/phone': { platform: 'ios', token: 'fcm-alice-phone' },
    'users/bob/devices/tablet': { platform: 'android', token: 'fcm-bob-tablet' },
  });
});

afterAll(async () => {
  await env.clearFirestore();
  await env.cleanup();
});

/** The client Firestore of a signed-in user. */
function as(uid: string): ClientDb {
  return env.authenticatedContext(uid).firestore();
}

/** The client Firestore of a client that is not signed in. */
function anonymous(): ClientDb {
  return env.unauthenticatedContext().firestore();
}

describe('users/{uid} (profile)', () => {
  it('lets a signed-in user read their own profile', async () => {
    await assertSucceeds(as('alice').doc('users/alice').get());
  });

  it('lets a signed-in user read their own profile before it exists', async () => {
    await assertSucceeds(as('carol').doc('users/carol').get());
  });

  it("denies reading another user's profile", async () => {
    await assertFails(as('alice').doc('users/bob').get());
  });

  it('denies listing the users collection, even to a signed-in user', async () => {
    await assertFails(as('alice').collection('users').get());
  });

  it('denies reading a profile when not signed in', async () => {
    await assertFails(anonymous().doc('users/alice').get());
  });

  it('denies the owner creating their profile', async () => {
    await assertFails(as('carol').doc('users/carol').set({ email: 'carol@taskflow.test' }));
  });

  it('denies the owner updating their profile (update and set)', async () => {
    const db = as('alice');
    await assertFails(db.doc('users/alice').update({ 'preferences.dailySummary': false }));
    await assertFails(db.doc('users/alice').set({ email: 'mallory@taskflow.test' }));
  });

  it('denies the owner deleting their profile', async () => {
    await assertFails(as('alice').doc('users/alice').delete());
  });

  it("denies writing another user's profile", async () => {
    await assertFails(as('alice').doc('users/bob').set({ email: 'alice@taskflow.test' }));
  });

  it('denies writing a profile when not signed in', async () => {
    await assertFails(anonymous().doc('users/alice').set({ email: 'anon@taskflow.test' }));
  });
});

describe('users/{uid}/devices/{deviceId}', () => {
  it('lets a signed-in user read one of their own devices', async () => {
    await assertSucceeds(as('alice').doc('users/alice/devices/phone').get());
  });

  it('lets a signed-in user list their own devices', async () => {
    await assertSucceeds(as('alice').collection('users/alice/devices').get());
  });

  it("denies reading another user's device", async () => {
    await assertFails(as('alice').doc('users/bob/devices/tablet').get());
  });

  it("denies listing another user's devices", async () => {
    await assertFails(as('alice').collection('users/bob/devices').get());
  });

  it("denies a collection-group query over every user's devices", async () => {
    await assertFails(as('alice').collectionGroup('devices').get());
  });

  it('denies reading devices when not signed in', async () => {
    await assertFails(anonymous().doc('users/alice/devices/phone').get());
    await assertFails(anonymous().collection('users/alice/devices').get());
  });

  it('denies the owner registering a device directly', async () => {
    await assertFails(
      as('alice').doc('users/alice/devices/laptop').set({ platform: 'web', token: 'fcm-x' }),
    );
  });

  it('denies the owner updating their device directly', async () => {
    await assertFails(as('alice').doc('users/alice/devices/phone').update({ token: 'fcm-new' }));
  });

  it('denies the owner deleting their device directly', async () => {
    await assertFails(as('alice').doc('users/alice/devices/phone').delete());
  });
});

describe('subcollections of users/{uid} the rules do not name', () => {
  it('denies the owner reading and writing them (rules do not cascade)', async () => {
    const db = as('alice');
    await assertFails(db.doc('users/alice/private/notes').get());
    await assertFails(db.doc('users/alice/private/notes').set({ text: 'hi' }));
  });
});
