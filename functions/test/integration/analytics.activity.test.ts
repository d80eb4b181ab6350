import { FieldValue, Timestamp, type DocumentData } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { triggerActivityId } from '../../src/domain/analytics/activity.schema';
import {
  recordClientEvent,
  recordTaskActivity,
  type TaskWriteEvent,
} from '../../src/domain/analytics/activity.service';
import { MAX_RUN_SECONDS } from '../../src/domain/analytics/task-activity';
import { parseDay, type DayStats } from '../../src/domain/analytics/stats-day';
import { createTestFirestore } from '../support/firestore';
import { recordingLogger } from '../support/runtime';

const fs = createTestFirestore();
const db = fs.db;
const clock = new FixedClock('2026-03-05T12:00:00Z');
const logger = recordingLogger();

beforeEach(async () => {
  clock.set('2026-03-05T12:00:00Z');
  logger.lines.length = 0;
  const batch = db.batch();
  batch.set(db.doc('users/ann'), { name: 'Ann', timezone: 'UTC' });
  batch.set(db.doc('users/bob'), { name: 'Bob', timezone: 'America/Los_Angeles' });
  await batch.commit();
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const at = (iso: string) => Timestamp.fromDate(new Date(iso));

/** A task document as stored, with Timestamps. */
function task(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Ship v1',
    description: '',
    projectId: 'p1',
    workspaceId: 'w1',
    createdBy: 'ann',
    updatedBy: 'ann',
    assigneeId: 'bob',
    status: 'todo',
    priority: 'medium',
    dueDate: null,
    completedAt: null,
    recurrence: null,
    deletedAt: null,
    createdAt: at('2026-03-02T17:00:00Z'),
    updatedAt: at('2026-03-02T17:00:00Z'),
    ...over,
  };
}

async function day(uid: string, date: string): Promise<DayStats> {
  return parseDay(date, (await db.doc(`userStats/${uid}/days/${date}`).get()).data());
}

async function allDays(uid: string): Promise<Record<string, DayStats>> {
  const snap = await db.collection(`userStats/${uid}/days`).get();
  return Object.fromEntries(snap.docs.map((d) => [d.id, parseDay(d.id, d.data())]));
}

async function activity(): Promise<DocumentData[]> {
  const snap = await db.collection('activity').get();
  return snap.docs.map((d) => ({ id: d.id, ...d.data() }));
}

const deliver = (e: TaskWriteEvent) => recordTaskActivity(db, clock, e, logger);

/** The lifecycle of one task: created for bob by ann, started, completed, reopened, deleted. */
const lifecycle: TaskWriteEvent[] = [
  { eventId: 'e1-create', taskId: 't1', before: undefined, after: task() },
  {
    eventId: 'e2-start',
    taskId: 't1',
    before: task(),
    after: task({
      status: 'in_progress',
      updatedBy: 'bob',
      updatedAt: at('2026-03-02T18:00:00Z'),
    }),
  },
  {
    eventId: 'e3-complete',
    taskId: 't1',
    before: task({ status: 'in_progress', updatedBy: 'bob' }),
    after: task({
      status: 'done',
      updatedBy: 'bob',
      completedAt: at('2026-03-02T20:30:00Z'),
      updatedAt: at('2026-03-02T20:30:00Z'),
    }),
  },
  {
    eventId: 'e4-reopen',
    taskId: 't1',
    before: task({ status: 'done', completedAt: at('2026-03-02T20:30:00Z') }),
    // 23:30 in Los Angeles on the 2nd, already the 3rd in UTC.
    after: task({ status: 'todo', updatedBy: 'ann', updatedAt: at('2026-03-03T07:30:00Z') }),
  },
  {
    eventId: 'e5-delete',
    taskId: 't1',
    before: task(),
    after: task({
      deletedAt: at('2026-03-03T09:00:00Z'),
      updatedBy: 'ann',
      updatedAt: at('2026-03-03T09:00:00Z'),
    }),
  },
];

describe('the embedded Firestore server (what exactly-once counting relies on)', () => {
  it('fails a whole batch whose create() finds its document, applying none of its increments', async () => {
    await db.doc('marker/x').create({ n: 1 });
    const batch = db.batch();
    batch.create(db.doc('marker/x'), { n: 2 });
    batch.set(db.doc('counter/c'), { n: FieldValue.increment(1) }, { merge: true });
    await expect(batch.commit()).rejects.toMatchObject({ code: 6 });
    expect((await db.doc('counter/c').get()).exists).toBe(false);
    expect((await db.doc('marker/x').get()).data()).toEqual({ n: 1 });
  });

  it('lets exactly one of concurrent batches creating the same document commit', async () => {
    const attempt = async () => {
      const batch = db.batch();
      batch.create(db.doc('marker/y'), { at: Date.now() });
      batch.set(db.doc('counter/d'), { n: FieldValue.increment(1) }, { merge: true });
      return batch.commit().then(
        () => 'ok',
        (e: unknown) => (e as { code?: number }).code,
      );
    };
    const outcomes = await Promise.all(Array.from({ length: 8 }, attempt));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 6)).toHaveLength(7);
    expect((await db.doc('counter/d').get()).get('n')).toBe(1);
  });
});

describe('the embedded Firestore server patch (arrayUnion/arrayRemove as on Firestore)', () => {
  it('arrayUnion creates a missing field, de-duplicates, and the other transforms of the write apply', async () => {
    const ref = db.doc('counter/e');
    await ref.set(
      { projects: FieldValue.arrayUnion('a', 'a'), n: FieldValue.increment(1) },
      { merge: true },
    );
    await ref.set(
      {
        projects: FieldValue.arrayUnion('b', 'a'),
        gone: FieldValue.arrayRemove('x'),
        n: FieldValue.increment(2),
      },
      { merge: true },
    );
    expect((await ref.get()).data()).toEqual({ projects: ['a', 'b'], gone: [], n: 3 });
  });
});

describe('recordTaskActivity (task trigger → activity + day statistics)', () => {
  it('records the lifecycle, attributed by the rules, counted on each user’s local day', async () => {
    for (const e of lifecycle) await deliver(e);

    const stored = await activity();
    expect(stored.map((a) => [a.eventType, a.userId]).sort()).toEqual(
      [
        ['task_assigned', 'bob'],
        ['task_completed', 'bob'],
        ['task_created', 'ann'],
        ['task_deleted', 'ann'],
        ['task_reopened', 'bob'],
        ['task_started', 'bob'],
      ].sort(),
    );
    const completed = stored.find((a) => a.eventType === 'task_completed')!;
    expect(completed).toMatchObject({
      id: triggerActivityId('e3-complete', 'task_completed'),
      source: 'trigger',
      triggerEventId: 'e3-complete',
      localDate: '2026-03-02',
      // started 18:00, completed 20:30: a measured run of 2.5 h.
      eventData: { taskId: 't1', projectId: 'p1', duration: 9000 },
      timestamp: at('2026-03-02T20:30:00Z'),
      // Default retention: 400 days after the event.
      expireAt: at('2027-04-06T20:30:00Z'),
    });

    // Bob (Los Angeles): everything on the 2nd, including the 23:30 local reopen.
    expect(await allDays('bob')).toEqual({
      '2026-03-02': expect.objectContaining({
        events: 4,
        tasksAssigned: 1,
        tasksStarted: 1,
        tasksCompleted: 1,
        tasksReopened: 1,
        tasksCreated: 0,
        secondsMeasured: 9000,
        secondsReported: 0,
        projects: ['p1'],
      }),
    });
    // Ann (UTC): created on the 2nd, deleted on the 3rd.
    expect(await allDays('ann')).toEqual({
      '2026-03-02': expect.objectContaining({ events: 1, tasksCreated: 1, projects: ['p1'] }),
      '2026-03-03': expect.objectContaining({ events: 1, tasksDeleted: 1, projects: ['p1'] }),
    });
  });

  it('counts nothing again when every event is delivered three times (in turn and at once)', async () => {
    for (const e of lifecycle) await deliver(e);
    const activityOnce = (await activity()).length;
    const bobOnce = await allDays('bob');
    const annOnce = await allDays('ann');

    for (const e of lifecycle) {
      const again = await deliver(e);
      expect(again.recorded).toEqual([]);
      expect(again.duplicates.length).toBeGreaterThan(0);
    }
    await Promise.all(lifecycle.map((e) => deliver(e)));

    expect((await activity()).length).toBe(activityOnce);
    expect(await allDays('bob')).toEqual(bobOnce);
    expect(await allDays('ann')).toEqual(annOnce);
  });

  it('a retry after a crash part-way stores and counts only what was missing', async () => {
    const create = lifecycle[0]!;
    await deliver(create);
    const complete = { bob: await allDays('bob'), ann: await allDays('ann') };
    // The state a crash between the two batches leaves: the assignment's batch never committed,
    // so neither its activity document nor its increments exist.
    await db.doc(`activity/${triggerActivityId(create.eventId, 'task_assigned')}`).delete();
    await db.doc('userStats/bob/days/2026-03-02').delete();

    const retry = await deliver(create);
    expect(retry).toEqual({
      recorded: ['task_assigned'],
      duplicates: ['task_created'],
      skipped: [],
    });
    expect(await allDays('bob')).toEqual(complete.bob);
    expect(await allDays('ann')).toEqual(complete.ann);
  });

  it('credits a completion to the assignee, and to the actor when nobody is assigned', async () => {
    await deliver({
      eventId: 'done-by-ann',
      taskId: 't2',
      before: task({ status: 'todo' }),
      after: task({ status: 'done', updatedBy: 'ann', completedAt: at('2026-03-04T10:00:00Z') }),
    });
    await deliver({
      eventId: 'done-unassigned',
      taskId: 't3',
      before: task({ assigneeId: null }),
      after: task({
        assigneeId: null,
        status: 'done',
        updatedBy: 'ann',
        completedAt: at('2026-03-04T11:00:00Z'),
      }),
    });
    expect((await day('bob', '2026-03-04')).tasksCompleted).toBe(1);
    expect((await day('ann', '2026-03-04')).tasksCompleted).toBe(1);
    // todo → done is no measured run.
    expect((await day('bob', '2026-03-04')).secondsMeasured).toBe(0);
  });

  it('caps a measured run at 8 hours and ignores a start the client reported', async () => {
    await deliver({
      eventId: 'start',
      taskId: 't4',
      before: task(),
      after: task({
        status: 'in_progress',
        updatedBy: 'bob',
        updatedAt: at('2026-03-04T01:00:00Z'),
      }),
    });
    // A later client "task_started" for the same task must not shorten (or fake) the run.
    clock.set('2026-03-04T15:00:00Z');
    // An event naming a task needs its user in the task's project.
    await db.doc('projects/p1').set({ name: 'P', members: ['bob'] });
    await db.doc('tasks/t4').set({ title: 'T4', projectId: 'p1' });
    await recordClientEvent(db, clock, {
      userId: 'bob',
      eventType: 'task_started',
      eventData: { taskId: 't4', projectId: 'p1' },
    });
    await deliver({
      eventId: 'finish',
      taskId: 't4',
      before: task({ status: 'in_progress' }),
      after: task({
        status: 'done',
        updatedBy: 'bob',
        completedAt: at('2026-03-04T16:00:00Z'),
        updatedAt: at('2026-03-04T16:00:00Z'),
      }),
    });
    const done = (await activity()).find((a) => a.eventType === 'task_completed')!;
    expect(done.eventData).toEqual({ taskId: 't4', projectId: 'p1', duration: MAX_RUN_SECONDS });
    expect((await day('bob', '2026-03-04')).secondsMeasured).toBe(8 * 3600);
  });

  it('records a hard delete for the creator, and nothing for writes to a soft-deleted task', async () => {
    clock.set('2026-03-06T08:00:00Z');
    await deliver({ eventId: 'gone', taskId: 't5', before: task(), after: undefined });
    await deliver({
      eventId: 'edit-deleted',
      taskId: 't6',
      before: task({ deletedAt: at('2026-03-05T00:00:00Z') }),
      after: task({ deletedAt: at('2026-03-05T00:00:00Z'), status: 'done' }),
    });
    await deliver({
      eventId: 'purge-deleted',
      taskId: 't6',
      before: task({ deletedAt: at('2026-03-05T00:00:00Z') }),
      after: undefined,
    });
    const stored = await activity();
    expect(stored).toEqual([
      expect.objectContaining({
        userId: 'ann',
        eventType: 'task_deleted',
        eventData: { taskId: 't5', projectId: 'p1', permanent: true },
        timestamp: at('2026-03-06T08:00:00Z'),
      }),
    ]);
  });

  it('records nothing for a user without a profile (a deleted account stays deleted)', async () => {
    await db.doc('users/bob').delete();
    const result = await deliver(lifecycle[0]!);
    expect(result).toEqual({
      recorded: ['task_created'],
      duplicates: [],
      skipped: ['task_assigned'],
    });
    expect((await activity()).map((a) => a.userId)).toEqual(['ann']);
    expect(await allDays('bob')).toEqual({});
  });

  it('skips a document that is not a task, with a warning', async () => {
    const result = await deliver({
      eventId: 'junk',
      taskId: 't7',
      before: undefined,
      after: { title: 'no project, no status' },
    });
    expect(result).toEqual({ recorded: [], duplicates: [], skipped: [] });
    expect(await activity()).toEqual([]);
    expect(logger.lines).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'Not a valid task; no activity recorded' }),
    ]);
  });

  it('uses the configured retention for expireAt', async () => {
    await recordTaskActivity(db, clock, lifecycle[0]!, logger, { retentionDays: 30 });
    const created = (await activity()).find((a) => a.eventType === 'task_created')!;
    expect(created.expireAt).toEqual(at('2026-04-01T17:00:00Z'));
    await expect(
      recordTaskActivity(db, clock, lifecycle[1]!, logger, { retentionDays: 0 }),
    ).rejects.toThrow('ANALYTICS_RETENTION_DAYS');
  });
});
