import request from 'supertest';
import type { Express } from 'express';
import functionsTest from 'firebase-functions-test';
import { Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { clientActivityId } from '../../src/domain/analytics/activity.schema';
import { recordClientEvent, recordTaskActivity } from '../../src/domain/analytics/activity.service';
import { parseDay } from '../../src/domain/analytics/stats-day';
import { computeUserSummary } from '../../src/domain/analytics/summary.service';
import { createApp } from '../../src/http/app';
import { getUserSummary, recordAnalyticsEvent } from '../../src';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { callableRequest as as, httpsErrorCode as codeOf } from '../support/callable';
import { createTestFirestore } from '../support/firestore';
import { recordingLogger, testRuntime } from '../support/runtime';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const db = fs.db;
const clock = new FixedClock('2026-11-23T10:00:00Z');
const runtime = testRuntime(db, { clock });
let a: TestUser;
let b: TestUser;
let admin: TestUser;
let app: Express;

beforeAll(async () => {
  [a, b, admin] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
  app = createApp(runtime, operations);
  setRuntimeForTesting(runtime);
});
beforeEach(async () => {
  clock.set('2026-11-23T10:00:00Z');
  delete runtime.deps.analyticsRetentionDays;
  const batch = db.batch();
  batch.set(db.doc(`users/${a.uid}`), { name: 'A', timezone: 'America/Los_Angeles' });
  batch.set(db.doc(`users/${b.uid}`), { name: 'B', timezone: 'Europe/Berlin' });
  // The project and task the examples' events name (an event naming work needs membership).
  batch.set(db.doc('projects/project_789'), { name: 'P', members: [a.uid, b.uid] });
  batch.set(db.doc('tasks/task_456'), { title: 'T', projectId: 'project_789' });
  await batch.commit();
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

const at = (iso: string) => Timestamp.fromDate(new Date(iso));

function post(user: TestUser | null, body: object) {
  const req = request(app).post('/api/analytics/event');
  return (user ? req.set('Authorization', user.bearer) : req).send(body);
}

async function activity(): Promise<DocumentData[]> {
  const snap = await db.collection('activity').get();
  return snap.docs.map((d) => ({ id: d.id, ...d.data() }));
}

async function dayOf(uid: string, date: string) {
  return parseDay(date, (await db.doc(`userStats/${uid}/days/${date}`).get()).data());
}

describe('POST /api/analytics/event', () => {
  it('stores the event in its documented shape with the server time, a TTL and the local date', async () => {
    const res = await post(a, {
      userId: a.uid,
      eventType: 'task_completed',
      eventData: { taskId: 'task_456', projectId: 'project_789', duration: 3600 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ success: true, eventId: expect.any(String) });
    expect(await activity()).toEqual([
      {
        id: res.body.eventId,
        userId: a.uid,
        eventType: 'task_completed',
        eventData: { taskId: 'task_456', projectId: 'project_789', duration: 3600 },
        timestamp: at('2026-11-23T10:00:00Z'),
        source: 'client',
        // 02:00 in Los Angeles.
        localDate: '2026-11-23',
        expireAt: at('2027-12-28T10:00:00Z'),
      },
    ]);
    // A client's task_completed adds its duration to the day, not a completion: the task
    // trigger records completions itself, so they are never counted twice.
    expect(await dayOf(a.uid, '2026-11-23')).toMatchObject({
      events: 1,
      tasksCompleted: 0,
      secondsReported: 3600,
      projects: [],
    });
  });

  it('userId defaults to the caller; another user’s id is 403 unless the caller is an admin', async () => {
    const own = await post(a, { eventType: 'app_opened', eventData: { platform: 'ios' } });
    expect(own.status).toBe(201);
    const denied = await post(a, { userId: b.uid, eventType: 'app_opened' });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    const byAdmin = await post(admin, { userId: b.uid, eventType: 'custom.imported' });
    expect(byAdmin.status).toBe(201);
    // Not for an account that does not exist (or was deleted).
    const ghost = await post(admin, { userId: 'no-such-user', eventType: 'custom.imported' });
    expect(ghost.status).toBe(404);
    expect((await activity()).map((e) => e.userId).sort()).toEqual([a.uid, b.uid].sort());
    expect((await post(null, { eventType: 'app_opened' })).status).toBe(401);
  });

  it.each([
    [{ eventType: 'task_done' }, 'eventType'],
    [{ eventType: 'custom.Bad-Name' }, 'eventType'],
    [{ eventType: 'task_completed', eventData: { projectId: 'p1' } }, 'eventData.taskId'],
    [
      { eventType: 'task_completed', eventData: { taskId: 't', projectId: 'p', duration: 90000 } },
      'eventData.duration',
    ],
    [
      { eventType: 'task_completed', eventData: { taskId: 't', projectId: 'p', duration: -1 } },
      'eventData.duration',
    ],
    [{ eventType: 'focus_session', eventData: {} }, 'eventData.duration'],
    [{ eventType: 'app_opened', eventData: { platform: 'ios', color: 'red' } }, 'eventData.color'],
    [{ eventType: 'custom.x', eventData: { grid: [[1, 2]] } }, 'eventData.grid.0'],
    [{ eventType: 'custom.x', eventData: { __name__: 1 } }, 'eventData.__name__'],
    [{ eventType: 'app_opened', eventData: [] }, 'eventData'],
    [{ eventType: 'app_opened', eventId: 'has space' }, 'eventId'],
    [{ eventType: 'app_opened', extra: 1 }, 'extra'],
  ])('400 naming the field: %j', async (body, field) => {
    const res = await post(a, body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_ERROR');
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await activity()).toEqual([]);
  });

  it('413 naming eventData beyond 4 KiB of JSON', async () => {
    const res = await post(a, { eventType: 'custom.blob', eventData: { text: 'x'.repeat(4100) } });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(res.body.message).toMatch(/^eventData: must be at most 4096 bytes/);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'eventData' })]);
    // Just under the cap is fine.
    const ok = await post(a, { eventType: 'custom.blob', eventData: { text: 'x'.repeat(4000) } });
    expect(ok.status).toBe(201);
  });

  it('a retry with the same eventId is stored and counted once; reusing it differently is 409', async () => {
    const body = {
      eventType: 'focus_session',
      eventData: { duration: 1500, taskId: 'task_456' },
      eventId: 'phone-42:evt-7',
    };
    const first = await post(a, body);
    clock.advance(30_000);
    const retry = await post(a, body);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body.eventId).toBe(first.body.eventId);
    expect(first.body.eventId).toBe(clientActivityId(a.uid, 'phone-42:evt-7'));
    const stored = await activity();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      clientEventId: 'phone-42:evt-7',
      timestamp: at('2026-11-23T10:00:00Z'),
    });
    expect(await dayOf(a.uid, '2026-11-23')).toMatchObject({ events: 1, secondsReported: 1500 });

    const reused = await post(a, { ...body, eventData: { duration: 60 } });
    expect(reused.status).toBe(409);
    expect(reused.body.code).toBe('CONFLICT');
    // The same client id from another user is another event.
    const other = await post(admin, { ...body, userId: b.uid });
    expect(other.status).toBe(201);
    expect(other.body.eventId).not.toBe(first.body.eventId);
  });

  it('expireAt follows ANALYTICS_RETENTION_DAYS', async () => {
    runtime.deps.analyticsRetentionDays = 30;
    await post(a, { eventType: 'app_opened' });
    expect((await activity())[0]).toMatchObject({ expireAt: at('2026-12-23T10:00:00Z') });
  });
});

describe('recordAnalyticsEvent / getUserSummary callables', () => {
  it('record for the caller by default and refuse someone else’s id', async () => {
    const record = fft.wrap(recordAnalyticsEvent);
    await expect(record(as(a, { eventType: 'session_started' }))).resolves.toEqual({
      success: true,
      eventId: expect.any(String),
    });
    expect(await codeOf(record(as(a, { userId: b.uid, eventType: 'app_opened' })))).toBe(
      'permission-denied',
    );
    expect(await codeOf(record(as(a, { eventType: 'nope' })))).toBe('invalid-argument');
    expect(await codeOf(record(as(null, { eventType: 'app_opened' })))).toBe('unauthenticated');
    expect((await activity()).map((e) => [e.userId, e.eventType])).toEqual([
      [a.uid, 'session_started'],
    ]);
  });

  it('summarise the caller by default', async () => {
    const summary = (await fft.wrap(getUserSummary)(as(a, { period: 'daily' }))) as object;
    expect(summary).toEqual({
      userId: a.uid,
      period: 'daily',
      summary: { tasksCompleted: 0, projectsActive: 0, hoursWorked: 0, productivityScore: 0 },
      trends: { completionRate: null, improvement: 0 },
    });
    expect(await codeOf(fft.wrap(getUserSummary)(as(a, { userId: b.uid })))).toBe(
      'permission-denied',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// A scripted week in America/Los_Angeles
// ---------------------------------------------------------------------------------------------

/**
 * The ISO week Monday 2026-10-26 … Sunday 2026-11-01 in Los Angeles: PDT (UTC−7) until clocks go
 * back at 02:00 on Sunday 1 November, PST (UTC−8) after. "Now" is Sunday 23:45 PST.
 */
const NOW = '2026-11-02T07:45:00Z';
const LEE = 'lee';
const ANN = 'ann';

function task(over: Record<string, unknown>): Record<string, unknown> {
  return {
    title: 'T',
    projectId: 'pA',
    workspaceId: 'w',
    createdBy: ANN,
    updatedBy: ANN,
    assigneeId: LEE,
    status: 'todo',
    priority: 'medium',
    dueDate: null,
    completedAt: null,
    deletedAt: null,
    createdAt: at('2026-10-20T16:00:00Z'),
    updatedAt: at('2026-10-20T16:00:00Z'),
    ...over,
  };
}

let seq = 0;
const logger = recordingLogger();
function write(taskId: string, before: object | undefined, after: object | undefined) {
  seq++;
  return recordTaskActivity(db, clock, { eventId: `evt-${seq}`, taskId, before, after }, logger);
}

/** todo → done by lee at `when` (no measured run). */
function completeAt(taskId: string, projectId: string, when: string) {
  const base = { projectId };
  return write(
    taskId,
    task(base),
    task({ ...base, status: 'done', updatedBy: LEE, completedAt: at(when), updatedAt: at(when) }),
  );
}

/** todo → in_progress at `from`, → done at `to`, by lee. */
async function runAt(taskId: string, projectId: string, from: string, to: string) {
  const base = { projectId };
  await write(
    taskId,
    task(base),
    task({ ...base, status: 'in_progress', updatedBy: LEE, updatedAt: at(from) }),
  );
  await write(
    taskId,
    task({ ...base, status: 'in_progress', updatedBy: LEE, updatedAt: at(from) }),
    task({ ...base, status: 'done', updatedBy: LEE, completedAt: at(to), updatedAt: at(to) }),
  );
}

async function client(when: string, eventType: string, eventData: Record<string, unknown>) {
  clock.set(when);
  await recordClientEvent(db, clock, { userId: LEE, eventType, eventData });
}

async function scriptWeek(): Promise<void> {
  await db.doc(`users/${LEE}`).set({ name: 'Lee', timezone: 'America/Los_Angeles' });
  await db.doc(`users/${ANN}`).set({ name: 'Ann', timezone: 'UTC' });
  // Tasks ann created for lee in the week before.
  for (const [id, projectId] of [
    ['t2', 'pB'],
    ['t4', 'pC'],
  ] as const) {
    await write(id, undefined, task({ projectId }));
  }

  // Previous week: two completions, one at 23:30 on its Sunday (already Monday in UTC).
  await completeAt('tp1', 'pA', '2026-10-21T20:00:00Z');
  await completeAt('tp2', 'pB', '2026-10-26T06:30:00Z');

  // Monday 26th: lee creates t1 09:00 PDT, runs it 10:00–12:00 (2 h measured); completes t2 at
  // 23:59 PDT (Tuesday in UTC).
  await write(
    't1',
    undefined,
    task({
      createdBy: LEE,
      updatedBy: LEE,
      createdAt: at('2026-10-26T16:00:00Z'),
      updatedAt: at('2026-10-26T16:00:00Z'),
    }),
  );
  await runAt('t1', 'pA', '2026-10-26T17:00:00Z', '2026-10-26T19:00:00Z');
  await completeAt('t2', 'pB', '2026-10-27T06:59:00Z');
  // Wednesday 28th: a 1.5 h focus session reported; t3 run 09:00–20:00 PDT, capped at 8 h.
  await client('2026-10-28T18:00:00Z', 'focus_session', { duration: 5400 });
  await runAt('t3', 'pA', '2026-10-28T16:00:00Z', '2026-10-29T03:00:00Z');
  // Thursday 29th: a 1 h focus session, the app opened.
  await client('2026-10-29T20:00:00Z', 'focus_session', { duration: 3600 });
  await client('2026-10-29T20:05:00Z', 'app_opened', { platform: 'android' });
  // Saturday 31st: the app reports a completion with 30 min; ann reopens t1 (credited to lee).
  await db.doc('projects/pZ').set({ name: 'Z', members: [LEE] });
  await db.doc('tasks/t9').set({ title: 'T9', projectId: 'pZ' });
  await client('2026-10-31T18:00:00Z', 'task_completed', {
    taskId: 't9',
    projectId: 'pZ',
    duration: 1800,
  });
  await write(
    't1',
    task({ status: 'done', createdBy: LEE, completedAt: at('2026-10-26T19:00:00Z') }),
    task({ createdBy: LEE, status: 'todo', updatedBy: ANN, updatedAt: at('2026-10-31T18:30:00Z') }),
  );
  // Sunday 1st (the DST day): t4 completed at 23:30 PST (Monday 07:30 in UTC).
  await completeAt('t4', 'pC', '2026-11-02T07:30:00Z');

  // Task documents for the overdue count (due in the week before now, still open).
  const due = (iso: string, over: Record<string, unknown> = {}) =>
    task({ dueDate: at(iso), ...over });
  const batch = db.batch();
  batch.set(db.doc('tasks/t6'), due('2026-10-30T17:00:00Z')); // overdue: counts
  batch.set(db.doc('tasks/t7'), due('2026-10-26T06:00:00Z')); // Sunday before the week
  batch.set(db.doc('tasks/t8'), due('2026-11-03T17:00:00Z')); // not due yet
  batch.set(
    db.doc('tasks/t4'),
    due('2026-10-30T17:00:00Z', { status: 'done', completedAt: at('2026-11-02T07:30:00Z') }),
  );
  batch.set(db.doc('tasks/t10'), due('2026-10-30T17:00:00Z', { deletedAt: at(NOW) }));
  batch.set(db.doc('tasks/t11'), due('2026-10-30T17:00:00Z', { assigneeId: ANN }));
  await batch.commit();
  clock.set(NOW);
}

describe('GET /api/analytics/user-summary', () => {
  it('a scripted week in America/Los_Angeles matches the hand-computed figures', async () => {
    await scriptWeek();
    const res = await request(app)
      .get('/api/analytics/user-summary')
      .query({ userId: LEE })
      .set('Authorization', admin.bearer);
    expect(res.status).toBe(200);
    // tasksCompleted: t1 (Mon), t2 (Mon 23:59), t3 (Wed), t4 (Sun 23:30) = 4 — not tp2 (the
    //   Sunday before, 23:30 PDT), not the client's task_completed.
    // projectsActive: pA, pB, pC (task events by lee); not pZ (a client event).
    // hoursWorked: Mon 2 h measured; Wed max(1.5 h reported, 8 h capped run) = 8; Thu 1;
    //   Sat 0.5 → 11.5.
    // completionRate: 4 ÷ (4 + 1 overdue: t6) = 0.8.
    // improvement: previous Mon–Sun had 2 (tp1, tp2) → (4 − 2) ÷ 2 = 1.
    // productivityScore: 10 × (0.5 × 0.8 + 0.3 × 4/7 + 0.2 × 5/7 active days) = 7.14 → 7.1.
    expect(res.body).toEqual({
      userId: LEE,
      period: 'weekly',
      summary: { tasksCompleted: 4, projectsActive: 3, hoursWorked: 11.5, productivityScore: 7.1 },
      trends: { completionRate: 0.8, improvement: 1 },
    });

    // The local days events landed on (the zone, not UTC, decides).
    const days = await db.collection(`userStats/${LEE}/days`).get();
    const completedOn = Object.fromEntries(
      days.docs.map((d) => [d.id, parseDay(d.id, d.data()).tasksCompleted]),
    );
    expect(completedOn).toMatchObject({
      '2026-10-21': 1,
      '2026-10-25': 1,
      '2026-10-26': 2,
      '2026-10-28': 1,
      '2026-11-01': 1,
    });
    expect(completedOn['2026-11-02']).toBeUndefined();
  });

  it('daily and monthly windows of the same moment (the 1st of the month, a DST day)', async () => {
    await scriptWeek();
    const get = (period: string) =>
      request(app)
        .get('/api/analytics/user-summary')
        .query({ userId: LEE, period })
        .set('Authorization', admin.bearer);
    // Sunday 1 November: t4 only; yesterday had no completion → improvement null; nothing
    // overdue today → rate 1; score 10 × (0.5 + 0.3 + 0.2).
    const today = {
      tasksCompleted: 1,
      projectsActive: 1,
      hoursWorked: 0,
      productivityScore: 10,
    };
    expect((await get('daily')).body).toEqual({
      userId: LEE,
      period: 'daily',
      summary: today,
      trends: { completionRate: 1, improvement: null },
    });
    // November so far is that one day; 1 October had nothing.
    expect((await get('monthly')).body).toEqual({
      userId: LEE,
      period: 'monthly',
      summary: today,
      trends: { completionRate: 1, improvement: null },
    });
    expect((await get('yearly')).status).toBe(400);
  });

  it('a user’s own summary; another user’s is 403', async () => {
    const own = await request(app)
      .get('/api/analytics/user-summary')
      .set('Authorization', a.bearer);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ userId: a.uid, period: 'weekly' });
    const other = await request(app)
      .get('/api/analytics/user-summary')
      .query({ userId: b.uid })
      .set('Authorization', a.bearer);
    expect(other.status).toBe(403);
  });
});

// ---------------------------------------------------------------------------------------------
// Reads: a summary touches O(days in the period), not the history
// ---------------------------------------------------------------------------------------------

/**
 * `db` with every read counted as Firestore bills it: one per document returned by a lookup or
 * query (at least one per query), one per aggregation.
 */
function countingFirestore(target: Firestore): { db: Firestore; reads: () => number } {
  let reads = 0;
  const count = (result: unknown) => {
    if (Array.isArray(result)) reads += result.length;
    else if (result !== null && typeof result === 'object' && 'docs' in result) {
      reads += Math.max(1, (result as { docs: unknown[] }).docs.length);
    } else reads += 1;
    return result;
  };
  const wrap = <T extends object>(obj: T): T =>
    new Proxy(obj, {
      get(t, prop) {
        const value: unknown = Reflect.get(t, prop, t);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(t, args);
          if (prop === 'get' || prop === 'getAll') return (result as Promise<unknown>).then(count);
          // References, queries and aggregate queries: anything with its own reads.
          if (
            typeof result === 'object' &&
            result !== null &&
            typeof (result as { get?: unknown }).get === 'function' &&
            typeof (result as { then?: unknown }).then !== 'function'
          ) {
            return wrap(result);
          }
          return result;
        };
      },
    });
  return { db: wrap(target), reads: () => reads };
}

describe('summary read cost', () => {
  it('with 5 years of history, a weekly summary reads at most 35 documents (measured: 16)', async () => {
    await db.doc(`users/${LEE}`).set({ name: 'Lee', timezone: 'America/Los_Angeles' });
    // One completion, one hour and one project every day for five years (2021-11-02 … 2026-11-01).
    const first = Date.parse('2021-11-02T12:00:00Z');
    const total = 1826;
    for (let chunk = 0; chunk < total; chunk += 400) {
      const batch = db.batch();
      for (let i = chunk; i < Math.min(chunk + 400, total); i++) {
        const date = new Date(first + i * 86_400_000).toISOString().slice(0, 10);
        batch.set(db.doc(`userStats/${LEE}/days/${date}`), {
          date,
          events: 3,
          tasksCompleted: 1,
          secondsMeasured: 3600,
          projects: [`p${i % 5}`],
        });
      }
      await batch.commit();
    }
    const now = new Date('2026-11-01T20:00:00Z'); // Sunday 13:00 PST, the last day of the week
    const counted = countingFirestore(db);
    const weekly = await computeUserSummary(counted.db, new FixedClock(now), LEE, 'weekly');
    expect(weekly).toMatchObject({
      summary: { tasksCompleted: 7, projectsActive: 5, hoursWorked: 7 },
      trends: { completionRate: 1, improvement: 0 },
    });
    // profile 1 + days of this and last week 14 + the overdue count 1.
    expect(counted.reads()).toBe(16);
    expect(counted.reads()).toBeLessThanOrEqual(35);

    const monthly = countingFirestore(db);
    await computeUserSummary(monthly.db, new FixedClock('2026-10-31T20:00:00Z'), LEE, 'monthly');
    // 1–31 October and 1–30 September (the previous month cut at 31 days → its 30).
    expect(monthly.reads()).toBe(1 + 31 + 30 + 1);
  });
});
