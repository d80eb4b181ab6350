import request from 'supertest';
import type { Express } from 'express';
import functionsTest from 'firebase-functions-test';
import { Timestamp } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { registerDevice, tokenKey } from '../../src/domain/users/devices.service';
import { onTaskWritten } from '../../src/functions/task.triggers';
import { createApp } from '../../src/http/app';
import { sendBulkNotification, notifyTaskAssignment } from '../../src';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { callableRequest, httpsErrorCode } from '../support/callable';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

/** The admin send endpoints over REST (and their callable twins), with real tokens. */
const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
let admin: TestUser;
let ann: TestUser; // project owner
let bob: TestUser; // project member
let eve: TestUser; // outsider
let runtime: ReturnType<typeof testRuntime>;
let app: Express;

const tok = (name: string) => `${name}-${'t'.repeat(40)}`;

beforeAll(async () => {
  [admin, ann, bob, eve] = await Promise.all([
    createTestUser({ admin: true }),
    createTestUser(),
    createTestUser(),
    createTestUser(),
  ]);
});
beforeEach(async () => {
  clock.set('2026-11-23T10:00:00Z');
  runtime = testRuntime(fs.db, {
    clock,
    config: { notifications: { coalesceWindowSeconds: 0 } as never },
  });
  setRuntimeForTesting(runtime);
  app = createApp(runtime, operations);
  const ts = Timestamp.fromDate(clock.now());
  const batch = fs.db.batch();
  for (const u of [admin, ann, bob, eve])
    batch.set(fs.db.doc(`users/${u.uid}`), { email: u.email, name: u.uid, timezone: 'UTC' });
  batch.set(fs.db.doc('projects/p1'), {
    name: 'P',
    description: '',
    workspaceId: 'w1',
    ownerId: ann.uid,
    members: [ann.uid, bob.uid],
    createdAt: ts,
    updatedAt: ts,
  });
  batch.set(fs.db.doc('tasks/t1'), {
    title: 'Write the launch post',
    description: '',
    projectId: 'p1',
    workspaceId: 'w1',
    assigneeId: bob.uid,
    createdBy: ann.uid,
    updatedBy: ann.uid,
    status: 'todo',
    priority: 'high',
    dueDate: null,
    completedAt: null,
    recurrence: null,
    deletedAt: null,
    createdAt: ts,
    updatedAt: ts,
  });
  await batch.commit();
  await registerDevice(fs.db, clock, bob.uid, { token: tok('bob-phone'), platform: 'ios' });
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

const post = (path: string, user: TestUser, body: object) =>
  request(app).post(`/api${path}`).set('Authorization', user.bearer).send(body);

describe('POST /api/send-notification (admin, one token)', () => {
  it('sends and answers {success, message_id}', async () => {
    const res = await post('/send-notification', admin, {
      token: tok('bob-phone'),
      title: 'Hello',
      body: 'World',
      data: { key: 'value' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message_id: expect.stringMatching(/messages\//) });
    expect(runtime.messaging.sent).toEqual([
      expect.objectContaining({
        token: tok('bob-phone'),
        notification: { title: 'Hello', body: 'World' },
        data: expect.objectContaining({ key: 'value', type: 'broadcast' }),
      }),
    ]);
  });

  it('a retry with the same idempotencyKey answers the first message id and sends nothing', async () => {
    const body = { token: tok('bob-phone'), title: 'Hi', body: 'B', idempotencyKey: 'retry-key-1' };
    const first = await post('/send-notification', admin, body);
    const second = await post('/send-notification', admin, body);
    expect(second.body.message_id).toBe(first.body.message_id);
    expect(runtime.messaging.sent).toHaveLength(1);
  });

  it('a key left "sending" by a crashed instance blocks retries only until its lease expires', async () => {
    const body = { token: tok('bob-phone'), title: 'Hi', body: 'B', idempotencyKey: 'crash-key' };
    await post('/send-notification', admin, body).expect(200);
    // As a crash between the claim and the record leaves it: claimed, never finished.
    const [record] = (
      await fs.db.collection('deliveries').where('intentKey', '==', 'crash-key').get()
    ).docs;
    await record!.ref.update({ status: 'sending', providerMessageId: null });
    const busy = await post('/send-notification', admin, body);
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('CONFLICT');
    clock.advance(2 * 60_000);
    const retried = await post('/send-notification', admin, body).expect(200);
    expect(retried.body.message_id).toEqual(expect.any(String));
    expect(runtime.messaging.sent).toHaveLength(2);
    expect((await record!.ref.get()).get('status')).toBe('sent');
  });

  it.each([
    [{ title: 'x', body: 'y' }, 'token'],
    [{ token: tok('a'), body: 'y' }, 'title'],
    [{ token: tok('a'), title: '', body: 'y' }, 'title'],
    [{ token: tok('a'), title: 'x', body: 'y', data: { n: 1 } }, 'data.n'],
    [{ token: tok('a'), title: 'x', body: 'y', extra: true }, 'extra'],
  ])('bad body %j → 400 naming %s, nothing sent', async (body, field) => {
    const res = await post('/send-notification', admin, body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(res.body.details)).toContain(field);
    expect(runtime.messaging.sent).toHaveLength(0);
  });

  it('a token FCM reports unregistered → 422, and the device is removed', async () => {
    runtime.messaging.failToken(tok('bob-phone'), 'messaging/registration-token-not-registered');
    const res = await post('/send-notification', admin, {
      token: tok('bob-phone'),
      title: 'x',
      body: 'y',
    });
    expect(res.status).toBe(422);
    expect((await fs.db.collection(`users/${bob.uid}/devices`).get()).size).toBe(0);
    expect((await fs.db.doc(`deviceTokens/${tokenKey(tok('bob-phone'))}`).get()).exists).toBe(
      false,
    );
  });

  it('FCM unavailable → 503 (retry later), recorded as failed', async () => {
    runtime.messaging.failNextCalls(1, 'messaging/server-unavailable');
    const res = await post('/send-notification', admin, {
      token: tok('bob-phone'),
      title: 'x',
      body: 'y',
    });
    expect(res.status).toBe(503);
    const records = await fs.db.collection('deliveries').get();
    expect(records.docs.map((d) => d.get('status') as string)).toEqual(['failed']);
  });
});

describe('POST /api/send-topic-notification (admin)', () => {
  it('sends to the topic', async () => {
    const res = await post('/send-topic-notification', admin, {
      topic: 'task-reminders',
      title: 'T',
      body: 'B',
    });
    expect(res.status).toBe(200);
    expect(res.body.success).toBe(true);
    expect(runtime.messaging.sent).toEqual([expect.objectContaining({ topic: 'task-reminders' })]);
  });

  it('a topic name FCM would reject → 400 naming topic', async () => {
    const res = await post('/send-topic-notification', admin, {
      topic: 'no spaces!',
      title: 'T',
      body: 'B',
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.details)).toContain('topic');
    expect(runtime.messaging.sent).toHaveLength(0);
  });
});

describe('POST /api/send-bulk-notification (admin)', () => {
  it('each recipient through the engine, per preferences; a replay with the same key sends nothing', async () => {
    await fs.db
      .doc(`users/${ann.uid}`)
      .set({ notificationPreferences: { pushNotifications: false } }, { merge: true });
    const body = {
      userIds: [bob.uid, ann.uid, 'no-such-user'],
      title: 'Maintenance tonight',
      body: 'TaskFlow is down 22:00–22:15 UTC',
      idempotencyKey: 'bulk-2026-11-23',
    };
    const res = await post('/send-bulk-notification', admin, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      success: true,
      recipients: 3,
      inbox: { created: 2, 'skipped:no_user': 1 },
      push: { sent: 1, 'skipped:push_disabled': 1, 'skipped:no_user': 1 },
      email: { sent: 2, 'skipped:no_user': 1 },
    });
    expect(runtime.messaging.sent).toHaveLength(1);
    expect(runtime.mail.sent).toHaveLength(2);

    const replay = await post('/send-bulk-notification', admin, body);
    expect(replay.body).toMatchObject({
      inbox: { duplicate: 2 },
      push: { duplicate: 1 },
      email: { duplicate: 2 },
    });
    expect(runtime.messaging.sent).toHaveLength(1);
    expect(runtime.mail.sent).toHaveLength(2);
  });

  it('more than 500 recipients or an empty list → 400 naming userIds, nothing sent', async () => {
    for (const userIds of [[], Array.from({ length: 501 }, (_, i) => `u${i}`)]) {
      const res = await post('/send-bulk-notification', admin, { userIds, title: 'T', body: 'B' });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.details)).toContain('userIds');
    }
    expect(runtime.messaging.sent).toHaveLength(0);
    expect((await fs.db.collection('deliveries').get()).size).toBe(0);
  });

  it('the callable twin takes the same input (and needs a fresh admin token)', async () => {
    const req = (user: TestUser, claims: object) =>
      ({
        data: { userIds: [bob.uid], title: 'T', body: 'B' },
        auth: { uid: user.uid, token: { uid: user.uid, ...claims } },
        rawRequest: {
          header: (n: string) => (n.toLowerCase() === 'authorization' ? user.bearer : undefined),
        },
      }) as never;
    const wrapped = fft.wrap(sendBulkNotification);
    await expect(wrapped(req(admin, { admin: true }))).resolves.toMatchObject({
      success: true,
      recipients: 1,
    });
    expect(await httpsErrorCode(wrapped(req(bob, {})))).toBe('permission-denied');
  });
});

describe('POST /api/notify-task-assignment (project members)', () => {
  it('notifies the assignee once: the trigger’s notice for the same write is the same one', async () => {
    const res = await post('/notify-task-assignment', ann, {
      assigneeId: bob.uid,
      taskId: 't1',
      projectId: 'p1',
      taskTitle: 'Write the launch post',
      dueDate: '2026-12-31T23:59:59Z',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message_id: expect.stringMatching(/^n_/) });
    const items = await fs.db.collection(`users/${bob.uid}/notifications`).get();
    expect(items.docs.map((d) => d.id)).toEqual([res.body.message_id]);
    expect(runtime.messaging.sent).toHaveLength(1);

    // The trigger of the write that assigned bob arrives (late): no second notice.
    const stored = (await fs.db.doc('tasks/t1').get()).data()!;
    const snap = (d: object) => fft.firestore.makeDocumentSnapshot(d, 'tasks/t1');
    await fft.wrap(onTaskWritten)({
      id: 'evt-assign',
      params: { taskId: 't1' },
      data: fft.makeChange(snap({ ...stored, assigneeId: null }), snap(stored)),
    });
    expect((await fs.db.collection(`users/${bob.uid}/notifications`).get()).size).toBe(1);
    expect(runtime.messaging.sent).toHaveLength(1);
    expect(runtime.mail.sent).toHaveLength(1);
  });

  it.each([
    ['an outsider', () => eve, { assigneeId: () => bob.uid }, 403],
    ['the task is not assigned to that user', () => bob, { assigneeId: () => ann.uid }, 422],
    ['the assignee is not a project member', () => ann, { assigneeId: () => eve.uid }, 422],
    ['nobody is told about their own assignment', () => bob, { assigneeId: () => bob.uid }, 422],
  ])('%s → %s… nothing sent', async (_case, caller, input, status) => {
    const res = await post('/notify-task-assignment', caller(), {
      assigneeId: input.assigneeId(),
      taskId: 't1',
      projectId: 'p1',
    });
    expect(res.status).toBe(status);
    expect(runtime.messaging.sent).toHaveLength(0);
    expect(runtime.mail.sent).toHaveLength(0);
  });

  it('a task of another project → 400 naming projectId; a missing task → 404; bad dueDate → 400', async () => {
    await fs.db.doc('projects/p2').set({ members: [ann.uid, bob.uid], workspaceId: 'w1' });
    const other = await post('/notify-task-assignment', ann, {
      assigneeId: bob.uid,
      taskId: 't1',
      projectId: 'p2',
    });
    expect(other.status).toBe(400);
    expect(JSON.stringify(other.body.details)).toContain('projectId');
    const missing = await post('/notify-task-assignment', ann, {
      assigneeId: bob.uid,
      taskId: 'nope',
      projectId: 'p1',
    });
    expect(missing.status).toBe(404);
    const badDate = await post('/notify-task-assignment', ann, {
      assigneeId: bob.uid,
      taskId: 't1',
      projectId: 'p1',
      dueDate: 'tomorrow',
    });
    expect(badDate.status).toBe(400);
    expect(JSON.stringify(badDate.body.details)).toContain('dueDate');
  });

  it('the callable twice around a no-op save of the task: one inbox item (one assignment)', async () => {
    const notify = () =>
      fft.wrap(notifyTaskAssignment)(
        callableRequest(ann, { assigneeId: bob.uid, taskId: 't1', projectId: 'p1' }),
      ) as Promise<Record<string, unknown>>;
    const first = await notify();
    // The app saves the task again with the same assignee: a write, but no new assignment.
    clock.set('2026-11-23T10:05:00Z');
    const save = await request(app)
      .patch('/api/tasks/t1')
      .set('Authorization', ann.bearer)
      .send({ assigneeId: bob.uid, priority: 'high' });
    expect(save.status).toBe(200);
    const second = await notify();
    expect(second).toEqual(first);
    expect((await fs.db.collection(`users/${bob.uid}/notifications`).get()).size).toBe(1);
    expect(runtime.messaging.sent).toHaveLength(1);
  });

  it('a new assignment after an unassignment is notified again', async () => {
    const snap = (d: object) => fft.firestore.makeDocumentSnapshot(d, 'tasks/t1');
    const stored = (await fs.db.doc('tasks/t1').get()).data()!;
    const notify = () =>
      fft.wrap(notifyTaskAssignment)(
        callableRequest(ann, { assigneeId: bob.uid, taskId: 't1', projectId: 'p1' }),
      ) as Promise<Record<string, unknown>>;
    const first = await notify();
    // Unassigned, then assigned again (each write seen by the task trigger).
    const at = (iso: string) => Timestamp.fromDate(new Date(iso));
    const unassigned = { ...stored, assigneeId: null, updatedAt: at('2026-11-23T10:30:00Z') };
    const reassigned = { ...stored, updatedAt: at('2026-11-23T11:00:00Z') };
    await fs.db.doc('tasks/t1').set(unassigned);
    await fft.wrap(onTaskWritten)({
      id: 'evt-unassign',
      params: { taskId: 't1' },
      data: fft.makeChange(snap(stored), snap(unassigned)),
    });
    await fs.db.doc('tasks/t1').set(reassigned);
    await fft.wrap(onTaskWritten)({
      id: 'evt-reassign',
      params: { taskId: 't1' },
      data: fft.makeChange(snap(unassigned), snap(reassigned)),
    });
    const second = await notify();
    expect(second).not.toEqual(first);
    const items = await fs.db
      .collection(`users/${bob.uid}/notifications`)
      .where('type', '==', 'task_assigned')
      .get();
    expect(items.size).toBe(2);
  });

  it('the callable twin', async () => {
    const res = await fft.wrap(notifyTaskAssignment)({
      data: { assigneeId: bob.uid, taskId: 't1', projectId: 'p1' },
      auth: { uid: ann.uid, token: { uid: ann.uid } },
      rawRequest: { header: () => undefined },
    } as never);
    expect(res).toEqual({ success: true, messageId: expect.stringMatching(/^n_/) });
  });
});
