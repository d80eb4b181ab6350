import request from 'supertest';
import type { Express } from 'express';
import { FixedClock } from '../../src/core/clock';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z'); // Monday
let admin: TestUser;
let user: TestUser;
let app: Express;
let rt: ReturnType<typeof testRuntime>;

beforeAll(async () => {
  [admin, user] = await Promise.all([createTestUser({ admin: true }), createTestUser()]);
  rt = testRuntime(fs.db, { clock });
  app = createApp(rt, operations);
});
beforeEach(() => {
  clock.set('2026-11-23T10:00:00Z');
  rt.messaging.sent.length = 0;
  rt.mail.sent.length = 0;
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const topicJob = {
  taskType: 'custom_notification',
  schedule: '0 9 * * 1-5',
  timezone: 'Europe/Berlin',
  parameters: { title: 'Standup at {{time}}', body: 'Daily standup', target: { topic: 'team' } },
  description: 'Weekday standup reminder',
};

function create(body: object, as: TestUser = admin) {
  return request(app).post('/api/scheduled-tasks').set('Authorization', as.bearer).send(body);
}
const get = (path: string, as: TestUser = admin) =>
  request(app).get(`/api${path}`).set('Authorization', as.bearer);
const post = (path: string, as: TestUser = admin, requestId?: string) => {
  const req = request(app).post(`/api${path}`).set('Authorization', as.bearer);
  return requestId === undefined ? req : req.set('X-Request-Id', requestId);
};

describe('scheduled tasks API', () => {
  it('creates a job and answers the documented shape with the next run in UTC', async () => {
    const res = await create(topicJob);
    expect(res.status).toBe(201);
    // Next weekday 09:00 Berlin (CET) after Monday 10:00Z: Tuesday 08:00Z.
    expect(res.body).toEqual({
      success: true,
      taskId: expect.any(String),
      nextRun: '2026-11-24T08:00:00.000Z',
    });
    const stored = (await fs.db.doc(`scheduledJobs/${res.body.taskId}`).get()).data();
    expect(stored).toMatchObject({
      taskType: 'custom_notification',
      schedule: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      enabled: true,
      createdBy: admin.uid,
      lastStatus: null,
    });
  });

  it('takes the zone from parameters.timezone when none is given, else UTC', async () => {
    const fromParams = await create({
      ...topicJob,
      schedule: '0 9 * * *',
      timezone: undefined,
      parameters: { ...topicJob.parameters, timezone: 'America/New_York' },
    });
    expect(fromParams.body.nextRun).toBe('2026-11-23T14:00:00.000Z');
    const utc = await create({ ...topicJob, schedule: '0 9 * * *', timezone: undefined });
    expect(utc.body.nextRun).toBe('2026-11-24T09:00:00.000Z');
  });

  it('lists jobs newest first with a cursor, gets one, 404 for an unknown one', async () => {
    for (const id of ['a', 'b', 'c']) {
      clock.advance(1000);
      await create({ ...topicJob, id, description: `job ${id}` }).expect(201);
    }
    const page1 = await get('/scheduled-tasks?limit=2').expect(200);
    expect(page1.body.tasks.map((t: { taskId: string }) => t.taskId)).toEqual(['c', 'b']);
    expect(page1.body.tasks[0]).toMatchObject({
      taskId: 'c',
      taskType: 'custom_notification',
      schedule: '0 9 * * 1-5',
      nextRun: '2026-11-24T08:00:00.000Z',
      enabled: true,
      description: 'job c',
      timezone: 'Europe/Berlin',
      running: false,
      lastStatus: null,
    });
    const page2 = await get(`/scheduled-tasks?limit=2&cursor=${page1.body.nextCursor}`).expect(200);
    expect(page2.body).toMatchObject({ tasks: [{ taskId: 'a' }], nextCursor: null });
    expect((await get('/scheduled-tasks/b').expect(200)).body.description).toBe('job b');
    expect((await get('/scheduled-tasks/nope').expect(404)).body.code).toBe('NOT_FOUND');
  });

  it('a retried create with the same id answers the first job', async () => {
    const first = await create({ ...topicJob, id: 'same' }).expect(201);
    const again = await create({ ...topicJob, id: 'same', schedule: '*/5 * * * *' }).expect(201);
    expect(again.body).toEqual(first.body);
  });

  it('disable stops it; enable computes the next run from now', async () => {
    const { taskId } = (await create(topicJob)).body;
    const off = await post(`/scheduled-tasks/${taskId}/disable`).expect(200);
    expect(off.body).toMatchObject({ enabled: false, nextRun: null });
    clock.set('2026-11-27T12:00:00Z'); // Friday afternoon
    const on = await post(`/scheduled-tasks/${taskId}/enable`).expect(200);
    expect(on.body).toMatchObject({ enabled: true, nextRun: '2026-11-30T08:00:00.000Z' });
  });

  it('runs now inline (to a topic), once per request id, and shows it in the run history', async () => {
    const { taskId } = (await create(topicJob)).body;
    clock.set('2026-11-23T12:00:00Z');
    const res = await post(`/scheduled-tasks/${taskId}/run`, admin, 'run-now-0001').expect(200);
    expect(res.body).toMatchObject({
      success: true,
      taskId,
      runId: 'manual-run-now-0001',
      trigger: 'manual',
      status: 'success',
      attempt: 1,
      itemsActedOn: 1,
      error: null,
      requestedBy: admin.uid,
      nextRun: '2026-11-24T08:00:00.000Z',
    });
    const again = await post(`/scheduled-tasks/${taskId}/run`, admin, 'run-now-0001').expect(200);
    expect(again.body.runId).toBe('manual-run-now-0001');
    // One push to the topic, rendered in the job's zone (12:00Z = 13:00 Berlin).
    expect(rt.messaging.sent).toHaveLength(1);
    expect(rt.messaging.sent[0]).toMatchObject({
      topic: 'team',
      notification: { title: 'Standup at 13:00', body: 'Daily standup' },
    });
    const history = await get(`/scheduled-tasks/${taskId}/runs`).expect(200);
    expect(history.body.runs).toEqual([
      expect.objectContaining({
        runId: 'manual-run-now-0001',
        status: 'success',
        trigger: 'manual',
      }),
    ]);
    const job = await get(`/scheduled-tasks/${taskId}`).expect(200);
    expect(job.body).toMatchObject({
      lastStatus: 'success',
      lastSuccessAt: '2026-11-23T12:00:00.000Z',
      lastRun: '2026-11-23T12:00:00.000Z',
    });
  });

  it('runs now to users through the notification engine (inbox item per user)', async () => {
    await fs.db.doc(`users/${user.uid}`).set({ email: user.email, name: 'U', timezone: 'UTC' });
    const { taskId } = (
      await create({
        ...topicJob,
        parameters: { title: 'Hello', body: 'From a job', target: { userIds: [user.uid] } },
      })
    ).body;
    const res = await post(`/scheduled-tasks/${taskId}/run`).expect(200);
    expect(res.body).toMatchObject({ status: 'success', itemsActedOn: 1 });
    const inbox = await fs.db.collection(`users/${user.uid}/notifications`).get();
    expect(inbox.docs.map((d) => d.get('title'))).toEqual(['Hello']);
  });

  it('an overdue_check job runs the overdue sweep: one notice, however often it is run', async () => {
    const { Timestamp } = await import('firebase-admin/firestore');
    await fs.db.doc(`users/${user.uid}`).set({ email: user.email, name: 'U', timezone: 'UTC' });
    const due = Timestamp.fromDate(new Date('2026-11-23T09:00:00Z'));
    await fs.db.doc('tasks/late').set({
      title: 'File the report',
      description: '',
      projectId: 'p1',
      workspaceId: 'w1',
      createdBy: admin.uid,
      updatedBy: admin.uid,
      assigneeId: user.uid,
      status: 'todo',
      priority: 'high',
      dueDate: due,
      completedAt: null,
      recurrence: null,
      deletedAt: null,
      createdAt: due,
      updatedAt: due,
    });
    // Armed by the task trigger in production (reminders/reminder-arming.service.ts), in the task's schedule.
    await fs.db.doc('taskSchedules/late').set({ overdueCheckAt: due });
    const { taskId } = (
      await create({
        taskType: 'overdue_check',
        schedule: '0 8 * * 1',
        timezone: 'Europe/Berlin',
        parameters: {},
        description: 'Extra overdue check before the Monday meeting',
      }).expect(201)
    ).body;
    const first = await post(`/scheduled-tasks/${taskId}/run`, admin, 'run-overdue-1').expect(200);
    expect(first.body).toMatchObject({ status: 'success', itemsActedOn: 1 });
    await post(`/scheduled-tasks/${taskId}/run`, admin, 'run-overdue-2').expect(200);
    const inbox = await fs.db.collection(`users/${user.uid}/notifications`).get();
    expect(inbox.docs.map((d) => d.get('type'))).toEqual(['task_overdue']);
  });

  it('a daily_summary job for one user sends the user’s summary for the day once', async () => {
    const { Timestamp } = await import('firebase-admin/firestore');
    await fs.db.doc(`users/${user.uid}`).set({
      email: user.email,
      name: 'U',
      timezone: 'America/New_York',
    });
    const yesterday = Timestamp.fromDate(new Date('2026-11-22T15:00:00Z'));
    await fs.db.doc('tasks/done-1').set({
      title: 'Ship the digest',
      projectId: 'p1',
      workspaceId: 'w1',
      createdBy: user.uid,
      assigneeId: user.uid,
      status: 'done',
      priority: 'low',
      dueDate: null,
      completedAt: yesterday,
      deletedAt: null,
      createdAt: yesterday,
      updatedAt: yesterday,
    });
    const { taskId } = (
      await create({
        taskType: 'daily_summary',
        schedule: '0 9 * * *',
        parameters: { userId: user.uid, timezone: 'America/New_York' },
        description: 'Send daily summary email',
      }).expect(201)
    ).body;
    const first = await post(`/scheduled-tasks/${taskId}/run`, admin, 'run-summary-1').expect(200);
    expect(first.body).toMatchObject({ status: 'success', itemsActedOn: 1 });
    await post(`/scheduled-tasks/${taskId}/run`, admin, 'run-summary-2').expect(200);
    expect(rt.mail.sent.map((m) => m.subject)).toEqual([expect.stringContaining('daily summary')]);
    expect(rt.mail.sent[0]?.html).toContain('Ship the digest');
  });

  it('a reminder_sweep job is accepted; unknown parameters are refused naming the field', async () => {
    await create({
      taskType: 'reminder_sweep',
      schedule: '*/10 * * * *',
      parameters: {},
      description: 'More frequent reminders',
    }).expect(201);
    const bad = await create({
      taskType: 'overdue_check',
      schedule: '0 8 * * 1',
      parameters: { projectId: 'p1' },
    }).expect(400);
    expect(JSON.stringify(bad.body.details)).toContain('parameters');
  });

  it('deletes a job with its run history', async () => {
    const { taskId } = (await create(topicJob)).body;
    await post(`/scheduled-tasks/${taskId}/run`).expect(200);
    const res = await request(app)
      .delete(`/api/scheduled-tasks/${taskId}`)
      .set('Authorization', admin.bearer)
      .expect(200);
    expect(res.body).toEqual({ success: true, message: 'Task deleted successfully' });
    await get(`/scheduled-tasks/${taskId}`).expect(404);
    expect((await fs.db.collection(`scheduledJobs/${taskId}/runs`).get()).size).toBe(0);
  });

  it.each([
    ['schedule', { schedule: '61 * * * *' }],
    ['schedule', { schedule: '0 9 * *' }],
    ['timezone', { timezone: 'Mars/Olympus_Mons' }],
    ['parameters.userId', { taskType: 'daily_summary' }],
    ['taskType', { taskType: 'nonsense' }],
    ['parameters.timezone', { parameters: { ...topicJob.parameters, timezone: 'Nowhere' } }],
    ['parameters.title', { parameters: { body: 'b', target: { topic: 't' } } }],
    [
      'parameters.target',
      { parameters: { title: 't', body: 'b', target: { topic: 't', projectId: 'p' } } },
    ],
    [
      'parameters.target.userIds',
      { parameters: { title: 't', body: 'b', target: { userIds: [] } } },
    ],
    ['parameters.extra', { parameters: { ...topicJob.parameters, extra: true } }],
    ['surprise', { surprise: 1 }],
  ])('400 naming %s', async (field, change) => {
    const res = await create({ ...topicJob, ...change });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(res.body.message).toContain(field);
    expect((await fs.db.collection('scheduledJobs').get()).size).toBe(0);
  });

  it('422 when the target project does not exist', async () => {
    const res = await create({
      ...topicJob,
      parameters: { title: 't', body: 'b', target: { projectId: 'missing' } },
    });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([
      { field: 'parameters.target.projectId', message: 'no such project' },
    ]);
  });

  it('is admin only', async () => {
    expect((await create(topicJob, user)).status).toBe(403);
    expect((await get('/scheduled-tasks', user)).status).toBe(403);
    expect((await request(app).get('/api/scheduled-tasks')).status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await request(app).get('/api/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/scheduled-tasks',
        '/api/scheduled-tasks/{taskId}',
        '/api/scheduled-tasks/{taskId}/enable',
        '/api/scheduled-tasks/{taskId}/disable',
        '/api/scheduled-tasks/{taskId}/run',
        '/api/scheduled-tasks/{taskId}/runs',
      ]),
    );
  });
});
