import request from 'supertest';
import type { Express } from 'express';
import functionsTest from 'firebase-functions-test';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import type { BroadcastShard } from '../../src/domain/notifications/broadcast-plan';
import {
  getBroadcastJob as jobView,
  runBroadcastShard,
  runBroadcastShards,
  startBroadcast,
} from '../../src/domain/notifications/broadcast.service';
import { notifierDeps } from '../../src/domain/notifications/delivery.service';
import { registerDevice } from '../../src/domain/users/devices.service';
import { createApp } from '../../src/http/app';
import { recordingBroadcastQueue } from '../support/recording-queues';
import { getBroadcastJob, sendBulkNotification } from '../../src';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { httpsErrorCode } from '../support/callable';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

/**
 * Admin broadcasts to every user: the job, its shards through the queue, the poll over REST and
 * the callable, and exactly-once under a redelivered shard and a repeated request.
 */
const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
let admin: TestUser;
let bob: TestUser;
let runtime: ReturnType<typeof testRuntime>;
let app: Express;

/** Users besides admin and bob, with a profile (and a phone for every other one). */
const OTHERS = 9;
const USERS = OTHERS + 2;

beforeAll(async () => {
  [admin, bob] = await Promise.all([createTestUser({ admin: true }), createTestUser()]);
});
beforeEach(async () => {
  clock.set('2026-11-23T10:00:00Z');
  runtime = testRuntime(fs.db, {
    clock,
    config: { notifications: { coalesceWindowSeconds: 0 } as never },
  });
  setRuntimeForTesting(runtime);
  app = createApp(runtime, operations);
  const batch = fs.db.batch();
  for (const u of [admin, bob])
    batch.set(fs.db.doc(`users/${u.uid}`), { email: u.email, name: u.uid, timezone: 'UTC' });
  for (let i = 0; i < OTHERS; i++)
    batch.set(fs.db.doc(`users/user-${String(i).padStart(2, '0')}`), {
      email: `user-${i}@taskflow.test`,
      name: `User ${i}`,
      timezone: 'UTC',
      // One of them has every channel but the inbox off.
      ...(i === 4
        ? { notificationPreferences: { pushNotifications: false, emailNotifications: false } }
        : {}),
    });
  await batch.commit();
  for (let i = 0; i < OTHERS; i += 2)
    await registerDevice(fs.db, clock, `user-${String(i).padStart(2, '0')}`, {
      token: `phone-${i}-${'t'.repeat(40)}`,
      platform: 'android',
    });
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

const post = (user: TestUser, body: object) =>
  request(app).post('/api/send-bulk-notification').set('Authorization', user.bearer).send(body);
const poll = (user: TestUser, jobId: string) =>
  request(app).get(`/api/broadcasts/${jobId}`).set('Authorization', user.bearer);
const announcement = {
  audience: 'allUsers',
  title: 'Maintenance on Sunday',
  body: 'TaskFlow is read-only 02:00–03:00 UTC',
};

async function inboxItems(): Promise<number> {
  let n = 0;
  for (const uid of [admin.uid, bob.uid, ...Array.from({ length: OTHERS }, (_, i) => `user-0${i}`)])
    n += (await fs.db.collection(`users/${uid}/notifications`).get()).size;
  return n;
}

/** Delivers every shard the queue holds (and the ones they dispatch), as Cloud Tasks would. */
async function deliverQueued(queue: ReturnType<typeof recordingBroadcastQueue>): Promise<number> {
  const deps = notifierDeps(runtime.deps, runtime.logger);
  let ran = 0;
  for (let shards = queue.take(); shards.length > 0; shards = queue.take()) {
    for (const shard of shards) {
      await runBroadcastShards(deps, shard, queue);
      ran++;
    }
  }
  return ran;
}

describe('POST /api/send-bulk-notification with audience "allUsers" (admin)', () => {
  it('inline transport: every user once, then the poll answers done with the counts', async () => {
    const res = await post(admin, { ...announcement, idempotencyKey: 'sunday-maintenance' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      job_id: expect.stringMatching(/^bj_[0-9a-f]{40}$/),
      batch_id: expect.stringMatching(/^bulk_/),
      queued: false,
      recipients: USERS,
      inbox: { created: USERS },
    });
    expect(await inboxItems()).toBe(USERS);
    // The admin and bob have no device; 5 of the others have a phone, one of them push off.
    expect(runtime.messaging.sent).toHaveLength(4);
    expect(runtime.mail.sent).toHaveLength(USERS - 1);

    const job = await poll(admin, res.body.job_id as string);
    expect(job.status).toBe(200);
    expect(job.body).toEqual({
      jobId: res.body.job_id,
      batchId: res.body.batch_id,
      audience: 'allUsers',
      createdAt: '2026-11-23T10:00:00.000Z',
      total: USERS,
      sent: USERS,
      skipped: 0,
      failed: 0,
      done: true,
      shardsDone: 1,
      shardsTotal: 1,
    });
  });

  it('the same request again (same idempotencyKey): the same job, nothing sent, counts unchanged', async () => {
    const body = { ...announcement, idempotencyKey: 'sunday-maintenance' };
    const first = await post(admin, body).expect(200);
    const before = (await poll(admin, first.body.job_id as string)).body as object;
    const second = await post(admin, body).expect(200);
    expect(second.body.job_id).toBe(first.body.job_id);
    expect(await inboxItems()).toBe(USERS);
    expect(runtime.messaging.sent).toHaveLength(4);
    expect(runtime.mail.sent).toHaveLength(USERS - 1);
    expect((await poll(admin, first.body.job_id as string)).body).toEqual(before);
  });

  it('through the queue: answers at once (queued), shards walk the users, the job ends done', async () => {
    const queue = recordingBroadcastQueue();
    runtime.deps.broadcastQueue = queue;
    const res = await post(admin, { ...announcement, idempotencyKey: 'queued-maintenance' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ queued: true, recipients: USERS, inbox: {}, push: {} });
    expect(runtime.messaging.sent).toHaveLength(0);
    const jobId = res.body.job_id as string;
    expect(queue.shards).toEqual([{ shard: { jobId, index: 0, after: null }, id: `${jobId}-s0` }]);
    expect((await poll(admin, jobId)).body).toMatchObject({
      total: USERS,
      sent: 0,
      done: false,
      shardsDone: 0,
      shardsTotal: null,
    });

    expect(await deliverQueued(queue)).toBe(1);
    expect(await inboxItems()).toBe(USERS);
    expect((await poll(admin, jobId)).body).toMatchObject({
      total: USERS,
      sent: USERS,
      done: true,
      shardsDone: 1,
      shardsTotal: 1,
    });
  });

  it('the callables: the send with an audience, then getBroadcastJob', async () => {
    const as = (user: TestUser, claims: object, data: unknown) =>
      ({
        data,
        auth: { uid: user.uid, token: { uid: user.uid, ...claims } },
        rawRequest: {
          header: (n: string) => (n.toLowerCase() === 'authorization' ? user.bearer : undefined),
        },
      }) as never;
    const sent = (await fft.wrap(sendBulkNotification)(
      as(admin, { admin: true }, { ...announcement, idempotencyKey: 'callable-maintenance' }),
    )) as { jobId: string; queued: boolean };
    expect(sent).toMatchObject({
      success: true,
      jobId: expect.stringMatching(/^bj_/),
      queued: false,
    });
    await expect(
      fft.wrap(getBroadcastJob)(as(admin, { admin: true }, { jobId: sent.jobId })),
    ).resolves.toMatchObject({ jobId: sent.jobId, total: USERS, sent: USERS, done: true });
    expect(
      await httpsErrorCode(fft.wrap(getBroadcastJob)(as(bob, {}, { jobId: sent.jobId }))),
    ).toBe('permission-denied');
    expect(
      await httpsErrorCode(
        fft.wrap(getBroadcastJob)(as(admin, { admin: true }, { jobId: `bj_${'0'.repeat(40)}` })),
      ),
    ).toBe('not-found');
    expect(
      await httpsErrorCode(fft.wrap(getBroadcastJob)(as(admin, { admin: true }, { jobId: 'x' }))),
    ).toBe('invalid-argument');
  });

  it.each([
    ['neither userIds nor audience', 'userIds', { title: 'T', body: 'B' }],
    [
      'both userIds and audience',
      'audience',
      { userIds: ['u1'], audience: 'allUsers', title: 'T', body: 'B' },
    ],
    ['an unknown audience', 'audience', { audience: 'everyone', title: 'T', body: 'B' }],
    ['an audience without a title', 'title', { audience: 'allUsers', body: 'B' }],
  ])('%s → 400 naming %s, nothing sent, no job', async (_case, field, body) => {
    const res = await post(admin, body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.details)).toContain(field);
    expect(runtime.messaging.sent).toHaveLength(0);
    expect((await fs.db.collection('broadcastJobs').get()).size).toBe(0);
  });

  it('the poll: 400 naming jobId for a malformed id, 404 for an unknown job, 403 for a non-admin', async () => {
    const bad = await poll(admin, 'not-a-job');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.details)).toContain('jobId');
    expect((await poll(admin, `bj_${'a'.repeat(40)}`)).status).toBe(404);
    const res = await post(admin, { ...announcement, idempotencyKey: 'for-the-poll' }).expect(200);
    expect((await poll(bob, res.body.job_id as string)).status).toBe(403);
    expect((await post(bob, announcement)).status).toBe(403);
  });
});

describe('shards: exactly once under redelivery', () => {
  const deps = () => notifierDeps(runtime.deps, runtime.logger);
  const start = (queue: ReturnType<typeof recordingBroadcastQueue>, key = 'shards-key-1') =>
    startBroadcast(
      deps(),
      { audience: { kind: 'allUsers' }, title: 'T', body: 'B', idempotencyKey: key },
      { requestId: 'req-1', createdBy: admin.uid },
      queue,
      { shardSize: 4 },
    );

  it('11 users in shards of 4: three shards, each dispatching the next before it delivers', async () => {
    const queue = recordingBroadcastQueue();
    const { jobId } = await start(queue);
    expect(await deliverQueued(queue)).toBe(3);
    expect(queue.shards.map((s) => s.id)).toEqual([`${jobId}-s0`, `${jobId}-s1`, `${jobId}-s2`]);
    expect(queue.shards[1]?.shard.after).toBe(
      (await fs.db.collection('users').orderBy('__name__').get()).docs[3]?.id,
    );
    expect(await inboxItems()).toBe(USERS);
    const job = await getBroadcastJobView(jobId);
    expect(job).toMatchObject({
      total: USERS,
      sent: USERS,
      done: true,
      shardsDone: 3,
      shardsTotal: 3,
    });
  });

  it('the same shard delivered twice: the second run sends nothing and counts nothing', async () => {
    // Cloud Tasks past its de-duplication window accepts the same id again.
    const queue = recordingBroadcastQueue({ dedupe: false });
    const { jobId } = await start(queue);
    const [first] = queue.take() as [BroadcastShard];
    const once = await runBroadcastShard(deps(), first, {
      dispatch: (next) => queue.enqueue(next, { id: `${next.jobId}-s${next.index}` }),
    });
    expect(once).toMatchObject({ status: 'done', firstCompletion: true });
    const after = {
      pushes: runtime.messaging.sent.length,
      mails: runtime.mail.sent.length,
      job: await getBroadcastJobView(jobId),
      docs: await fs.dump(),
    };
    expect(after.job).toMatchObject({ sent: 4, shardsDone: 1, done: false });

    const twice = await runBroadcastShard(deps(), first);
    expect(twice).toMatchObject({ status: 'already-done', firstCompletion: false });
    // Even delivering again regardless of its marker (a request's retry) changes nothing.
    const forced = await runBroadcastShard(deps(), first, { repeat: 'deliver' });
    expect(forced).toMatchObject({ status: 'done', firstCompletion: false });
    expect(forced.tally).toMatchObject({ recipients: 4, sent: 4, inbox: { duplicate: 4 } });
    expect(runtime.messaging.sent).toHaveLength(after.pushes);
    expect(runtime.mail.sent).toHaveLength(after.mails);
    expect(await fs.dump()).toEqual(after.docs);

    // The rest of the walk, with every shard delivered twice.
    for (let shards = queue.take(); shards.length > 0; shards = queue.take())
      for (const shard of shards) {
        await runBroadcastShards(deps(), shard, queue);
        await runBroadcastShards(deps(), shard, queue);
      }
    expect(await inboxItems()).toBe(USERS);
    expect(await getBroadcastJobView(jobId)).toMatchObject({
      total: USERS,
      sent: USERS,
      skipped: 0,
      failed: 0,
      done: true,
      shardsDone: 3,
      shardsTotal: 3,
    });
  });

  it('a shard that crashed after delivering, before its marker: the rerun counts each recipient once', async () => {
    const queue = recordingBroadcastQueue();
    const { jobId } = await start(queue);
    const [first] = queue.take() as [BroadcastShard];
    await runBroadcastShard(deps(), first);
    // As if the commit of marker and counts had never happened.
    await fs.db.doc(`broadcastJobs/${jobId}/shards/0`).delete();
    await fs.db.doc(`broadcastJobs/${jobId}`).update({ sent: 0, shardsDone: 0 });
    const pushes = runtime.messaging.sent.length;
    const rerun = await runBroadcastShard(deps(), first);
    expect(rerun).toMatchObject({ status: 'done', firstCompletion: true });
    expect(runtime.messaging.sent).toHaveLength(pushes);
    expect(await getBroadcastJobView(jobId)).toMatchObject({ sent: 4, shardsDone: 1 });
  });

  it('a shard payload that is not a shard of its job (unknown job, index past a list) does nothing', async () => {
    const listed = await startBroadcast(
      deps(),
      { audience: { kind: 'userIds', userIds: [bob.uid] }, title: 'T', body: 'B' },
      { requestId: 'req-2', createdBy: admin.uid },
    );
    const before = await fs.dump();
    await expect(
      runBroadcastShard(deps(), { jobId: listed.jobId, index: 1, after: bob.uid }),
    ).resolves.toMatchObject({ status: 'no-job', tally: null });
    await expect(
      runBroadcastShard(deps(), { jobId: `bj_${'e'.repeat(40)}`, index: 0, after: null }),
    ).resolves.toMatchObject({ status: 'no-job', tally: null });
    expect(await fs.dump()).toEqual(before);
    expect(await getBroadcastJobView(listed.jobId)).toMatchObject({ shardsDone: 1, done: true });
  });

  it('the same request again with the same key: the same job, no shard enqueued twice', async () => {
    const queue = recordingBroadcastQueue();
    const a = await start(queue);
    const b = await start(queue);
    expect(b.jobId).toBe(a.jobId);
    expect(queue.shards).toHaveLength(1);
    await deliverQueued(queue);
    // After Cloud Tasks' window, a third request enqueues shard 0 again: its marker stops it.
    const late = recordingBroadcastQueue();
    await start(late);
    expect(await deliverQueued(late)).toBe(1);
    expect(await inboxItems()).toBe(USERS);
    expect(await getBroadcastJobView(a.jobId)).toMatchObject({ sent: USERS, done: true });
  });
});

async function getBroadcastJobView(jobId: string) {
  return (await jobView(fs.db, jobId)).progress;
}
