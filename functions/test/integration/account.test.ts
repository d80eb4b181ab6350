import functionsTest from 'firebase-functions-test';
import { Timestamp } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { createUserProfile, deleteUserData } from '../../src/domain/users/account.service';
import { registerDevice, tokenKey } from '../../src/domain/users/devices.service';
import { DEFAULT_PREFERENCES } from '../../src/domain/users/preferences.schema';
import { updatePreferences } from '../../src/domain/users/preferences.service';
import { onUserCreated, onUserDeleted } from '../../src/functions/auth.triggers';
import { createTestFirestore } from '../support/firestore';
import { recordingLogger, testRuntime } from '../support/runtime';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const db = fs.db;
const T0 = '2026-11-23T10:00:00.000Z';
let clock: FixedClock;

beforeEach(() => {
  clock = new FixedClock(T0);
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

const at = (iso: string) => Timestamp.fromDate(new Date(iso));

async function data(path: string) {
  return (await db.doc(path).get()).data();
}

async function ids(collection: string) {
  return (await db.collection(collection).get()).docs.map((d) => d.id).sort();
}

describe('createUserProfile', () => {
  it('creates the profile with the defaults', async () => {
    await expect(
      createUserProfile(db, clock, { uid: 'ada', email: 'ada.lovelace@taskflow.test' }),
    ).resolves.toEqual({ created: true, fieldsAdded: [] });
    expect(await data('users/ada')).toEqual({
      name: 'ada.lovelace',
      email: 'ada.lovelace@taskflow.test',
      photoUrl: null,
      timezone: 'UTC',
      locale: 'en',
      notificationPreferences: DEFAULT_PREFERENCES,
      createdAt: at(T0),
      updatedAt: at(T0),
    });
  });

  it('does nothing on a second delivery', async () => {
    const user = { uid: 'ada', email: 'ada@taskflow.test', displayName: 'Ada' };
    await createUserProfile(db, clock, user);
    const first = await db.doc('users/ada').get();
    clock.advance(60_000);
    await expect(
      createUserProfile(db, clock, { ...user, displayName: 'Renamed' }),
    ).resolves.toEqual({ created: false, fieldsAdded: [] });
    const second = await db.doc('users/ada').get();
    expect(second.data()).toEqual(first.data());
    expect(second.get('createdAt')).toEqual(at(T0));
    expect(second.updateTime).toEqual(first.updateTime);
  });

  it('keeps preferences the user saved before the profile was created', async () => {
    await updatePreferences(db, clock, 'ada', { pushNotifications: false, digestHour: 6 });
    clock.advance(5_000);
    const result = await createUserProfile(db, clock, { uid: 'ada', displayName: 'Ada' });
    expect(result.created).toBe(false);
    expect(result.fieldsAdded).toEqual(
      expect.arrayContaining(['name', 'createdAt', 'notificationPreferences.emailFrequency']),
    );
    expect(result.fieldsAdded).not.toContain('updatedAt');
    expect(result.fieldsAdded).not.toContain('notificationPreferences.pushNotifications');
    expect(await data('users/ada')).toEqual({
      name: 'Ada',
      email: null,
      photoUrl: null,
      timezone: 'UTC',
      locale: 'en',
      notificationPreferences: { ...DEFAULT_PREFERENCES, pushNotifications: false, digestHour: 6 },
      createdAt: at('2026-11-23T10:00:05.000Z'),
      // The preferences save's own timestamp: nothing present is overwritten.
      updatedAt: at(T0),
    });
  });
});

const TOKEN = (n: number) => `fcm-token-${n}-${'x'.repeat(140)}`;

/** Ada (being deleted) and Bob (who stays) share workspaces, a project and tasks. */
async function seedSharedData() {
  await createUserProfile(db, clock, { uid: 'ada', email: 'ada@taskflow.test' });
  await createUserProfile(db, clock, { uid: 'bob', email: 'bob@taskflow.test' });
  await registerDevice(db, clock, 'ada', { token: TOKEN(1), platform: 'ios', deviceId: 'phone' });
  await registerDevice(db, clock, 'ada', { token: TOKEN(2), platform: 'web', deviceId: 'web' });
  await registerDevice(db, clock, 'bob', { token: TOKEN(3), platform: 'android' });

  const batch = db.batch();
  for (let i = 1; i <= 4; i++) batch.set(db.doc(`users/ada/notifications/n${i}`), { i });
  batch.set(db.doc('users/bob/notifications/n1'), { i: 1 });
  for (let i = 1; i <= 7; i++) {
    batch.set(db.doc(`tasks/ada-${i}`), { title: `t${i}`, assigneeId: 'ada', updatedAt: at(T0) });
  }
  batch.set(db.doc('tasks/bob-1'), { title: 'b', assigneeId: 'bob', updatedAt: at(T0) });
  batch.set(db.doc('tasks/none'), { title: 'n', assigneeId: null, updatedAt: at(T0) });
  batch.set(db.doc('workspaces/ada-owned'), {
    ownerId: 'ada',
    members: ['ada', 'bob'],
    roles: { ada: 'owner', bob: 'member' },
  });
  batch.set(db.doc('workspaces/bob-owned'), {
    ownerId: 'bob',
    members: ['bob', 'ada'],
    roles: { bob: 'owner', ada: 'admin' },
  });
  batch.set(db.doc('workspaces/bob-only'), {
    ownerId: 'bob',
    members: ['bob'],
    roles: { bob: 'owner' },
  });
  batch.set(db.doc('projects/p1'), { workspaceId: 'ada-owned', members: ['ada', 'bob'] });
  batch.set(db.doc('projects/p2'), { workspaceId: 'bob-owned', members: ['ada'] });
  batch.set(db.doc('projects/p3'), { workspaceId: 'bob-only', members: ['bob'] });
  for (let i = 1; i <= 4; i++) batch.set(db.doc(`activity/ada-${i}`), { userId: 'ada' });
  batch.set(db.doc('activity/bob-1'), { userId: 'bob' });
  batch.set(db.doc('userStats/ada'), { total: 4 });
  for (let i = 1; i <= 4; i++) batch.set(db.doc(`userStats/ada/days/2026-11-0${i}`), { n: i });
  batch.set(db.doc('userStats/bob'), { total: 1 });
  batch.set(db.doc('userStats/bob/days/2026-11-01'), { n: 1 });
  for (let i = 1; i <= 3; i++) {
    batch.set(db.doc(`deliveries/email_ada${i}`), { recipientId: 'ada', channel: 'email' });
    batch.set(db.doc(`deliveries/email_ada${i}/claims/v0`), { attempt: 1 });
  }
  batch.set(db.doc('deliveries/push_bob1'), { recipientId: 'bob', channel: 'push' });
  await batch.commit();
}

/** Everything Bob owns or shares, to prove deleting Ada leaves it as it was (bar her membership). */
async function bobsData() {
  return {
    profile: await data('users/bob'),
    devices: await ids('users/bob/devices'),
    token: await data(`deviceTokens/${tokenKey(TOKEN(3))}`),
    notifications: await ids('users/bob/notifications'),
    tasks: [await data('tasks/bob-1'), await data('tasks/none')],
    activity: await data('activity/bob-1'),
    stats: [await data('userStats/bob'), await ids('userStats/bob/days')],
    workspace: await data('workspaces/bob-only'),
    project: await data('projects/p3'),
  };
}

const ZERO = {
  devices: 0,
  notifications: 0,
  tasksUnassigned: 0,
  workspaces: 0,
  projects: 0,
  activity: 0,
};

describe('deleteUserData', () => {
  it('never commits more than 500 writes at once, however many claims a delivery record has', async () => {
    // Two records with 300 attempt claims each (retries, quiet-hours holds): 602 deletes.
    for (const record of ['email_many1', 'email_many2']) {
      await db.doc(`deliveries/${record}`).set({ recipientId: 'ada', channel: 'email' });
      for (let start = 0; start < 300; start += 100) {
        const seed = db.batch();
        for (let i = start; i < start + 100; i++) {
          seed.set(db.doc(`deliveries/${record}/claims/v${String(i)}`), { attempt: i });
        }
        await seed.commit();
      }
    }
    const batchProto = Object.getPrototypeOf(db.batch()) as { commit: () => Promise<unknown> };
    const sizes: number[] = [];
    const original = batchProto.commit;
    const spy = jest.spyOn(batchProto, 'commit').mockImplementation(function (this: {
      _ops: unknown[];
    }) {
      sizes.push(this._ops.length);
      return original.call(this);
    });
    try {
      await deleteUserData(db, clock, recordingLogger(), 'ada');
    } finally {
      spy.mockRestore();
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(await ids('deliveries')).toEqual([]);
    expect(await ids('deliveries/email_many1/claims')).toEqual([]);
  });

  it("removes the account's data and memberships in small batches, and only theirs", async () => {
    await seedSharedData();
    const bobBefore = await bobsData();
    clock.advance(3_600_000);
    const logger = recordingLogger();

    await expect(deleteUserData(db, clock, logger, 'ada', { batchSize: 3 })).resolves.toEqual({
      devices: 2,
      notifications: 4,
      tasksUnassigned: 7,
      workspaces: 2,
      projects: 2,
      activity: 4,
    });

    expect((await db.doc('users/ada').get()).exists).toBe(false);
    expect(await ids('users/ada/devices')).toEqual([]);
    expect(await ids('users/ada/notifications')).toEqual([]);
    for (const n of [1, 2]) {
      expect((await db.doc(`deviceTokens/${tokenKey(TOKEN(n))}`).get()).exists).toBe(false);
    }
    // Every task, read back whole: Ada's are unassigned, Bob's is not touched.
    const tasks = await db.collection('tasks').get();
    expect(Object.fromEntries(tasks.docs.map((d) => [d.id, d.get('assigneeId')]))).toEqual({
      ...Object.fromEntries([1, 2, 3, 4, 5, 6, 7].map((i) => [`ada-${i}`, null])),
      'bob-1': 'bob',
      none: null,
    });
    expect(await data('tasks/ada-1')).toEqual({
      title: 't1',
      assigneeId: null,
      updatedAt: at('2026-11-23T11:00:00.000Z'),
      // A server change: the task triggers notify without excluding anyone as the actor.
      updatedBy: null,
    });
    expect(await data('workspaces/ada-owned')).toEqual({
      ownerId: 'ada',
      members: ['bob'],
      roles: { bob: 'member' },
      updatedAt: at('2026-11-23T11:00:00.000Z'),
    });
    expect(await data('workspaces/bob-owned')).toEqual({
      ownerId: 'bob',
      members: ['bob'],
      roles: { bob: 'owner' },
      updatedAt: at('2026-11-23T11:00:00.000Z'),
    });
    expect((await data('projects/p1'))?.members).toEqual(['bob']);
    expect((await data('projects/p2'))?.members).toEqual([]);
    expect(await ids('activity')).toEqual(['bob-1']);
    expect((await db.doc('userStats/ada').get()).exists).toBe(false);
    expect(await ids('userStats/ada/days')).toEqual([]);
    expect(await ids('deliveries')).toEqual(['push_bob1']);
    expect(await ids('deliveries/email_ada1/claims')).toEqual([]);

    expect(await bobsData()).toEqual(bobBefore);
    expect(logger.lines).toEqual([
      expect.objectContaining({ level: 'WARN', workspaceId: 'ada-owned', userId: 'ada' }),
    ]);

    // A redelivered event (or a manual rerun) finds nothing left to do.
    await expect(deleteUserData(db, clock, logger, 'ada', { batchSize: 3 })).resolves.toEqual(ZERO);
    expect(logger.lines).toHaveLength(1);
  });

  it('finishes the job left by an interrupted run', async () => {
    await seedSharedData();
    // What a run that crashed after its first pages leaves behind.
    await db.doc('users/ada/devices/phone').delete();
    await db.doc(`deviceTokens/${tokenKey(TOKEN(1))}`).delete();
    await db.doc('tasks/ada-1').update({ assigneeId: null });
    await db.doc('workspaces/bob-owned').update({ members: ['bob'], roles: { bob: 'owner' } });

    await expect(deleteUserData(db, clock, recordingLogger(), 'ada')).resolves.toEqual({
      devices: 1,
      notifications: 4,
      tasksUnassigned: 6,
      workspaces: 1,
      projects: 2,
      activity: 4,
    });
    expect((await db.doc('users/ada').get()).exists).toBe(false);
    expect((await db.doc(`deviceTokens/${tokenKey(TOKEN(2))}`).get()).exists).toBe(false);
    expect((await db.collection('tasks').where('assigneeId', '==', 'ada').get()).empty).toBe(true);
  });

  it("keeps a token's index entry that now belongs to someone else", async () => {
    await registerDevice(db, clock, 'ada', { token: TOKEN(1), platform: 'ios', deviceId: 'phone' });
    // A stale device entry whose token has since moved to Bob's account (a shared phone).
    await db.doc('users/ada/devices/old').set({ token: TOKEN(3), platform: 'android' });
    await registerDevice(db, clock, 'bob', { token: TOKEN(3), platform: 'android' });

    await expect(deleteUserData(db, clock, recordingLogger(), 'ada')).resolves.toMatchObject({
      devices: 2,
    });
    expect(await data(`deviceTokens/${tokenKey(TOKEN(3))}`)).toMatchObject({ uid: 'bob' });
  });

  it('rejects a batch size a batched write cannot hold', async () => {
    await expect(
      deleteUserData(db, clock, recordingLogger(), 'ada', { batchSize: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(
      deleteUserData(db, clock, recordingLogger(), 'ada', { batchSize: 501 }),
    ).rejects.toThrow(RangeError);
  });
});

describe('onUserCreated / onUserDeleted (the deployed triggers)', () => {
  it('copies the sign-in address to the profile only once Firebase Auth has verified it', async () => {
    setRuntimeForTesting(testRuntime(db, { clock }));
    const record = fft.auth.makeUserRecord({
      uid: 'hedy',
      email: 'hedy@taskflow.test',
      emailVerified: false,
      displayName: 'Hedy',
    });
    await fft.wrap(onUserCreated)(record, { eventId: 'event-unverified' });
    // The notification engine emails the profile's address: an unverified one is not kept.
    const profile = await data('users/hedy');
    expect(profile).toMatchObject({ name: 'Hedy', email: null });
  });

  it('create a profile once however often the event is delivered, then delete it', async () => {
    const runtime = testRuntime(db, { clock });
    setRuntimeForTesting(runtime);
    const record = fft.auth.makeUserRecord({
      uid: 'grace',
      email: 'grace@taskflow.test',
      emailVerified: true,
      displayName: 'Grace Hopper',
    });
    const created = fft.wrap(onUserCreated);

    await created(record, { eventId: 'event-1' });
    clock.advance(1_000);
    await created(record, { eventId: 'event-1' });

    expect(await data('users/grace')).toMatchObject({
      name: 'Grace Hopper',
      email: 'grace@taskflow.test',
      createdAt: at(T0),
    });
    expect(runtime.logger.lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'User profile created',
        function: 'onUserCreated',
        userId: 'grace',
        created: true,
      }),
      expect.objectContaining({
        message: 'User profile already there',
        userId: 'grace',
        created: false,
        fieldsAdded: [],
      }),
    ]);

    await registerDevice(db, clock, 'grace', { token: TOKEN(9), platform: 'web' });
    await fft.wrap(onUserDeleted)(record, { eventId: 'event-2' });
    expect((await db.doc('users/grace').get()).exists).toBe(false);
    expect(await ids('users/grace/devices')).toEqual([]);
    expect(runtime.logger.lines[2]).toEqual(
      expect.objectContaining({
        level: 'INFO',
        message: 'User data deleted',
        function: 'onUserDeleted',
        userId: 'grace',
        ...ZERO,
        devices: 1,
      }),
    );
  });
});
