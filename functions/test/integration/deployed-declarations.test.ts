import functionsTest from 'firebase-functions-test';
import { deleteApp, getApps } from 'firebase-admin/app';
import type { Firestore } from 'firebase-admin/firestore';
import { Timestamp } from 'firebase-admin/firestore';
import { HttpsError } from 'firebase-functions/https';
import express from 'express';
import request from 'supertest';
import * as index from '../../src/index';
import * as params from '../../src/config/params';
import { setRuntimeForTesting } from '../../src/composition-root';
import { systemClock } from '../../src/core/clock';
import { signUnsubscribeToken } from '../../src/domain/notifications/unsubscribe.service';
import { startAuthEmulator, type RunningEmulator } from '../support/auth-emulator';
import { createTestFirestore, type TestFirestore } from '../support/firestore';
import { taskDoc } from '../support/tasks';

/**
 * Every exported function, run once as a real project runs it: a non-demo project id, the real
 * composition root (a fresh instance per function), and only the secrets that function's own
 * manifest entry declares — Firebase hands a function no other (they read as empty). The list of
 * functions and their secrets comes from the SDK's manifest (`__endpoint`), not from a hand list:
 * a new function is run here the day it is exported, and a function of an unknown kind fails.
 *
 * A function fails when it reads a secret it did not declare, or when it fails (an `internal`
 * error, an exception) with only its own declarations bound. Pushes and emails are captured
 * (DELIVERY_TRANSPORT=capture, the declared param a local stack uses).
 */

const PROJECT = 'taskflow-staging';
const SECRETS = params.NOTIFY_SECRETS.map((s) => s.name);
const secretValue = (name: string) => `test-secret-${name}-0123456789abcdef`;

type Endpoint = {
  secretEnvironmentVariables?: { key: string }[];
  callableTrigger?: object;
  httpsTrigger?: object;
  scheduleTrigger?: object;
  taskQueueTrigger?: object;
  eventTrigger?: { eventType: string };
};
type Deployed = { __endpoint: Endpoint; run?: (arg: unknown) => Promise<unknown> };

const deployed = Object.entries(index as unknown as Record<string, Deployed>);
const fft = functionsTest({ projectId: PROJECT });

/** Every read of a secret's value, by name, while the functions run. */
const reads: string[] = [];
let auth: RunningEmulator;
let fs: TestFirestore;
let db: Firestore;
const users = {
  alice: { uid: '', token: '' },
  bob: { uid: '', token: '' },
};
const saved = { ...process.env };

async function signUp(email: string): Promise<{ uid: string; token: string }> {
  const res = await fetch(
    `http://${auth.host}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake-api-key`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'taskflow-test', returnSecureToken: true }),
    },
  );
  const body = (await res.json()) as { localId: string; idToken: string };
  return { uid: body.localId, token: body.idToken };
}

/** Binds exactly `declared` of the secrets, as Firebase does for one function. */
function bindOnly(declared: string[]): void {
  for (const name of SECRETS) Reflect.deleteProperty(process.env, name);
  for (const name of declared) process.env[name] = secretValue(name);
}

beforeAll(async () => {
  auth = await startAuthEmulator(PROJECT);
  Object.assign(process.env, {
    GCLOUD_PROJECT: PROJECT,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    FIREBASE_AUTH_EMULATOR_HOST: auth.host,
    DELIVERY_TRANSPORT: 'capture',
    TASK_QUEUE_TRANSPORT: 'inline',
    NOTIFY_COALESCE_SECONDS: '0',
    PUBLIC_BASE_URL: 'https://staging.taskflow.example.com',
  });
  // What a deploy does: every param without a value gets its default as an environment variable.
  for (const param of Object.values(params)) {
    const p = param as { name?: unknown; options?: { default?: string | number | boolean } };
    if (typeof p.name !== 'string' || SECRETS.includes(p.name)) continue;
    if (process.env[p.name] === undefined && p.options?.default !== undefined) {
      process.env[p.name] = String(p.options.default);
    }
  }
  fs = createTestFirestore(PROJECT);
  db = fs.db;
  const secretProto = Object.getPrototypeOf(params.SENDGRID_API_KEY) as {
    value: (this: { name: string }) => string;
  };
  const original = secretProto.value;
  jest.spyOn(secretProto, 'value').mockImplementation(function (this: { name: string }) {
    reads.push(this.name);
    return original.call(this);
  });

  users.alice = await signUp('alice@staging.test');
  users.bob = await signUp('bob@staging.test');
  const now = Timestamp.now();
  const profile = (name: string, email: string) => ({
    name,
    email,
    timezone: 'UTC',
    notificationPreferences: {},
    createdAt: now,
    updatedAt: now,
  });
  await Promise.all([
    db.doc(`users/${users.alice.uid}`).set(profile('Alice', 'alice@staging.test')),
    db.doc(`users/${users.bob.uid}`).set(profile('Bob', 'bob@staging.test')),
    db.doc(`users/${users.bob.uid}/devices/phone`).set({
      token: 'bob-phone-token-0123456789abcdef',
      platform: 'android',
      lastSeenAt: now,
    }),
    db.doc('workspaces/w1').set({
      name: 'Staging',
      description: '',
      ownerId: users.alice.uid,
      members: [users.alice.uid, users.bob.uid],
      roles: { [users.alice.uid]: 'owner', [users.bob.uid]: 'member' },
      createdAt: now,
      updatedAt: now,
    }),
    db.doc('projects/p1').set({
      name: 'Launch',
      description: '',
      workspaceId: 'w1',
      ownerId: users.alice.uid,
      members: [users.alice.uid, users.bob.uid],
      createdAt: now,
      updatedAt: now,
    }),
    db.doc('tasks/t1').set(
      taskDoc({
        assigneeId: users.bob.uid,
        createdBy: users.alice.uid,
        updatedBy: users.alice.uid,
        createdAt: now,
        updatedAt: now,
      }),
    ),
  ]);
}, 90_000);

afterAll(async () => {
  setRuntimeForTesting(undefined);
  await Promise.all(
    getApps()
      .filter((a) => a.name === '[DEFAULT]')
      .map((a) => deleteApp(a)),
  );
  jest.restoreAllMocks();
  fft.cleanup();
  await fs.dispose();
  await auth.stop();
  process.env = saved;
});

function caller(user: { uid: string; token: string }, claims: Record<string, unknown> = {}) {
  return {
    auth: { uid: user.uid, token: { uid: user.uid, email_verified: true, ...claims } },
    rawRequest: {
      header: (name: string) =>
        name.toLowerCase() === 'authorization' ? `Bearer ${user.token}` : undefined,
    },
  };
}

/**
 * Callable inputs that reach the function's real work (and, for the senders, an email or a push).
 * A callable without an entry is called with `{}` as an outsider would: it must answer a clear
 * error, not `internal`.
 */
const CALLS: Record<string, () => { data: unknown; as: ReturnType<typeof caller> }> = {
  getPreferences: () => ({ data: {}, as: caller(users.bob) }),
  updatePreferences: () => ({
    data: { preferences: { dailySummary: false } },
    as: caller(users.bob),
  }),
  registerDevice: () => ({
    data: { token: 'bob-tablet-token-0123456789abcdef', platform: 'ios' },
    as: caller(users.bob),
  }),
  listNotifications: () => ({ data: {}, as: caller(users.bob) }),
  getUnreadCount: () => ({ data: {}, as: caller(users.bob) }),
  getDashboardStats: () => ({ data: {}, as: caller(users.bob) }),
  getUserSummary: () => ({ data: { period: 'weekly' }, as: caller(users.bob) }),
  exportUserData: () => ({ data: {}, as: caller(users.bob) }),
  createWorkspace: () => ({ data: { name: 'Side project' }, as: caller(users.bob) }),
  sendNotification: () => ({
    data: { token: 'bob-phone-token-0123456789abcdef', title: 'Hello', body: 'From staging' },
    as: caller(users.alice, { admin: true }),
  }),
  sendTopicNotification: () => ({
    data: { topic: 'announcements', title: 'Hello', body: 'Everyone' },
    as: caller(users.alice, { admin: true }),
  }),
  sendBulkNotification: () => ({
    data: { userIds: [users.bob.uid], title: 'Maintenance', body: 'Tonight at 22:00' },
    as: caller(users.alice, { admin: true }),
  }),
  notifyTaskAssignment: () => ({
    data: { taskId: 't1', projectId: 'p1', assigneeId: users.bob.uid },
    as: caller(users.alice),
  }),
};

/** Task-queue payloads besides the digest job (the default), and what their run must leave. */
const BROADCAST_JOB = `bj_${'d'.repeat(40)}`;
const TASKS: Record<string, { data: () => Promise<unknown>; check: () => Promise<void> }> = {
  sendBroadcastShard: {
    // A broadcast to every user whose first shard the request enqueued.
    async data() {
      await db.doc(`broadcastJobs/${BROADCAST_JOB}`).set({
        batchId: 'bulk_staging',
        batchKey: 'staging-announcement',
        audience: 'allUsers',
        userIds: null,
        content: { title: 'Maintenance', body: 'Tonight at 22:00', data: {}, channels: null },
        createdBy: users.alice.uid,
        shardSize: 500,
        estimatedTotal: 2,
        sent: 0,
        skipped: 0,
        failed: 0,
        shardsDone: 0,
        shardsTotal: null,
        createdAt: Timestamp.now(),
      });
      return { jobId: BROADCAST_JOB, index: 0, after: null };
    },
    async check() {
      const job = (await db.doc(`broadcastJobs/${BROADCAST_JOB}`).get()).data();
      expect(job).toMatchObject({ shardsDone: 1, shardsTotal: 1 });
      expect((job?.sent as number) + (job?.skipped as number)).toBeGreaterThanOrEqual(2);
    },
  },
};

function taskEvent(id: string) {
  const path = 'tasks/t1';
  const after = taskDoc({
    assigneeId: users.bob.uid,
    createdBy: users.alice.uid,
    updatedBy: users.alice.uid,
  });
  return {
    id,
    params: { taskId: 't1' },
    data: fft.makeChange(
      fft.firestore.makeDocumentSnapshot({ ...after, assigneeId: null }, path),
      fft.firestore.makeDocumentSnapshot(after, path),
    ),
  } as never;
}

async function runFunction(name: string, fn: Deployed): Promise<void> {
  const e = fn.__endpoint;
  if (e.callableTrigger !== undefined) {
    const call = CALLS[name]?.() ?? { data: {}, as: caller(users.bob) };
    try {
      await fft.wrap(fn as never)({ data: call.data, ...call.as });
    } catch (err) {
      if (!(err instanceof HttpsError) || err.code === 'internal' || CALLS[name] !== undefined) {
        throw err;
      }
    }
    return;
  }
  if (e.httpsTrigger !== undefined) {
    // As the Functions framework serves it: Express, bodies parsed, the raw body kept.
    const app = express();
    app.use(
      express.json({
        verify: (req, _res, buf) => {
          (req as unknown as { rawBody: Buffer }).rawBody = buf;
        },
      }),
    );
    app.use(express.urlencoded({ extended: false }));
    app.all('/{*path}', fn as unknown as express.RequestHandler);
    const health = await request(app).get('/api/health');
    expect(health.status).toBe(200);
    const prefs = await request(app)
      .get(`/api/users/${users.bob.uid}/preferences`)
      .set('Authorization', `Bearer ${users.bob.token}`);
    expect(prefs.status).toBe(200);
    const token = signUnsubscribeToken(secretValue('UNSUBSCRIBE_SIGNING_KEY'), systemClock, {
      uid: users.bob.uid,
      scope: 'weeklySummary',
    });
    const unsubscribe = await request(app).post(`/api/unsubscribe?token=${token}`).type('form');
    expect(unsubscribe.status).toBe(200);
    return;
  }
  if (e.scheduleTrigger !== undefined) {
    await fn.run?.({ scheduleTime: new Date().toISOString(), jobName: name });
    return;
  }
  if (e.taskQueueTrigger !== undefined) {
    const task = TASKS[name];
    const localDate = new Date().toISOString().slice(0, 10);
    const data =
      task === undefined ? { uid: users.bob.uid, period: 'daily', localDate } : await task.data();
    await fn.run?.({ data, id: `job-${name}`, retryCount: 0, queueName: name });
    await task?.check();
    return;
  }
  const eventType = e.eventTrigger?.eventType ?? '';
  if (eventType.startsWith('google.cloud.firestore.document')) {
    if (name === 'onTaskWritten') {
      await fft.wrap(fn as never)(taskEvent('evt-staging-1'));
      return;
    }
    const doc = (await db.doc(`users/${users.bob.uid}`).get()).data() ?? {};
    const path = `users/${users.bob.uid}`;
    await fft.wrap(fn as never)({
      id: `evt-${name}`,
      params: { uid: users.bob.uid, userId: users.bob.uid },
      data: fft.makeChange(
        fft.firestore.makeDocumentSnapshot({}, ''),
        fft.firestore.makeDocumentSnapshot(doc, path),
      ),
    });
    return;
  }
  if (eventType.includes('firebase.auth')) {
    const user = fft.auth.makeUserRecord({ uid: 'carol-new', email: 'carol@staging.test' });
    await fft.wrap(fn as never)(user);
    // A new account gets its profile; a deleted one loses it.
    const created = eventType.endsWith('user.create');
    expect((await db.doc('users/carol-new').get()).exists).toBe(created);
    return;
  }
  throw new Error(`No way to run ${name} (${JSON.stringify(Object.keys(e))}): add one here`);
}

describe('every deployed function under a non-demo project, with only its own declarations', () => {
  it('the manifest declares the notification secrets on some functions, and not on all', () => {
    const declaring = deployed.filter(
      ([, fn]) => (fn.__endpoint.secretEnvironmentVariables ?? []).length > 0,
    );
    expect(declaring.length).toBeGreaterThan(0);
    expect(declaring.length).toBeLessThan(deployed.length);
  });

  it.each(deployed.map(([name, fn]) => [name, fn] as const))(
    '%s works and reads no secret it does not declare',
    async (name, fn) => {
      const declared = (fn.__endpoint.secretEnvironmentVariables ?? []).map((s) => s.key);
      bindOnly(declared);
      // A fresh instance: no runtime, no default Admin app (the composition root makes both).
      setRuntimeForTesting(undefined);
      await Promise.all(
        getApps()
          .filter((a) => a.name === '[DEFAULT]')
          .map((a) => deleteApp(a)),
      );
      reads.length = 0;
      await runFunction(name, fn);
      expect({ name, undeclared: reads.filter((r) => !declared.includes(r)) }).toEqual({
        name,
        undeclared: [],
      });
    },
  );

  it('the assignment sent a real email with a signed unsubscribe link', async () => {
    const outbox = await db.collection('devOutbox').where('kind', '==', 'email').get();
    const toBob = outbox.docs.map((d) => d.data()).filter((m) => m.to === 'bob@staging.test');
    expect(toBob.length).toBeGreaterThan(0);
    for (const m of toBob) {
      expect(String((m.headers as Record<string, string>)['List-Unsubscribe'])).toContain(
        'https://staging.taskflow.example.com/api/unsubscribe?token=',
      );
    }
  });
});
