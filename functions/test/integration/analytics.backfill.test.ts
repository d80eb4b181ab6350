import { Timestamp } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { recordClientEvent, recordTaskActivity } from '../../src/domain/analytics/activity.service';
import {
  backfillAllUserStats,
  backfillUserStats,
  type BackfillUserResult,
} from '../../src/domain/analytics/stats-backfill.service';
import { parseDay, type DayStats } from '../../src/domain/analytics/stats-day';
import { createTestFirestore } from '../support/firestore';
import { recordingLogger } from '../support/runtime';

const fs = createTestFirestore();
const db = fs.db;
const clock = new FixedClock('2026-06-30T12:00:00Z');
const logger = recordingLogger();

beforeEach(async () => {
  clock.set('2026-06-30T12:00:00Z');
  const batch = db.batch();
  batch.set(db.doc('users/ann'), { name: 'Ann', timezone: 'Asia/Kolkata' });
  batch.set(db.doc('users/bob'), { name: 'Bob', timezone: 'America/Los_Angeles' });
  batch.set(db.doc('users/cat'), { name: 'Cat' });
  await batch.commit();
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const at = (iso: string) => Timestamp.fromDate(new Date(iso));

function task(over: Record<string, unknown>): Record<string, unknown> {
  return {
    title: 'T',
    projectId: 'p1',
    workspaceId: 'w',
    createdBy: 'ann',
    updatedBy: 'ann',
    assigneeId: 'bob',
    status: 'todo',
    priority: 'low',
    dueDate: null,
    completedAt: null,
    deletedAt: null,
    createdAt: at('2026-06-01T10:00:00Z'),
    updatedAt: at('2026-06-01T10:00:00Z'),
    ...over,
  };
}

async function days(uid: string): Promise<Record<string, DayStats>> {
  const snap = await db.collection(`userStats/${uid}/days`).get();
  return Object.fromEntries(snap.docs.map((d) => [d.id, parseDay(d.id, d.data())]));
}

let seq = 0;
const write = (taskId: string, before?: object, after?: object) =>
  recordTaskActivity(db, clock, { eventId: `e${++seq}`, taskId, before, after }, logger);

/** A few weeks of mixed activity for ann (Kolkata) and bob (Los Angeles), incrementally counted. */
async function history(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const id = `t${i}`;
    const projectId = `p${i % 3}`;
    const created = at(`2026-06-0${i + 1}T20:00:00Z`);
    const started = at(`2026-06-1${i}T18:00:00Z`);
    const done = at(`2026-06-1${i}T23:30:00Z`);
    await write(id, undefined, task({ projectId, createdAt: created, updatedAt: created }));
    await write(
      id,
      task({ projectId }),
      task({ projectId, status: 'in_progress', updatedBy: 'bob', updatedAt: started }),
    );
    await write(
      id,
      task({ projectId, status: 'in_progress' }),
      task({ projectId, status: 'done', updatedBy: 'bob', completedAt: done, updatedAt: done }),
    );
    clock.set(`2026-06-2${i}T07:00:00Z`);
    await recordClientEvent(db, clock, {
      userId: 'bob',
      eventType: 'focus_session',
      eventData: { duration: 600 * (i + 1) },
    });
  }
  await write(
    't0',
    task({ status: 'done' }),
    task({ status: 'todo', updatedAt: at('2026-06-25T05:00:00Z') }),
  );
  await write('t1', task({}), task({ deletedAt: at('2026-06-26T05:00:00Z') }));
  // The task documents as they now are: the backfill must find all of this on record.
  const batch = db.batch();
  for (let i = 0; i < 6; i++) {
    const created = at(`2026-06-0${i + 1}T20:00:00Z`);
    const done = at(`2026-06-1${i}T23:30:00Z`);
    const finished = i === 0 ? {} : { status: 'done', completedAt: done };
    batch.set(
      db.doc(`tasks/t${i}`),
      task({
        projectId: `p${i % 3}`,
        createdAt: created,
        ...finished,
        ...(i === 1 ? { deletedAt: at('2026-06-26T05:00:00Z') } : {}),
      }),
    );
  }
  await batch.commit();
  clock.set('2026-06-30T12:00:00Z');
}

describe('backfillUserStats', () => {
  it('recomputes exactly what the incremental path counted', async () => {
    await history();
    const incremental = { ann: await days('ann'), bob: await days('bob') };
    expect(Object.keys(incremental.bob).length).toBeGreaterThan(5);

    // Damage: a day lost, a counter wrong, a day that should not exist.
    const [lost, wrong] = Object.keys(incremental.bob);
    await db.doc(`userStats/bob/days/${lost}`).delete();
    await db.doc(`userStats/bob/days/${wrong}`).set({ tasksCompleted: 99 }, { merge: true });
    await db.doc('userStats/ann/days/2026-06-15').set({ tasksCreated: 5 });

    const bob = await backfillUserStats(db, clock, 'bob');
    const ann = await backfillUserStats(db, clock, 'ann');
    expect(await days('bob')).toEqual(incremental.bob);
    expect(await days('ann')).toEqual(incremental.ann);
    expect(bob).toMatchObject({ fromTasks: 0, daysDeleted: 0 });
    expect(ann).toMatchObject({ fromTasks: 0, daysDeleted: 1 });
    expect(bob.activity).toBeGreaterThan(0);

    // A second run changes nothing.
    await backfillUserStats(db, clock, 'bob');
    expect(await days('bob')).toEqual(incremental.bob);
  });

  it('rebuilds creations and completions from tasks that have no activity on record', async () => {
    const batch = db.batch();
    // Created and completed before analytics existed.
    batch.set(
      db.doc('tasks/old1'),
      task({
        createdAt: at('2026-05-01T03:00:00Z'),
        status: 'done',
        completedAt: at('2026-05-02T06:30:00Z'),
      }),
    );
    // Unassigned and completed by its creator: counts for the creator.
    batch.set(
      db.doc('tasks/old2'),
      task({
        assigneeId: null,
        projectId: 'p9',
        createdAt: at('2026-05-03T03:00:00Z'),
        status: 'done',
        completedAt: at('2026-05-03T04:00:00Z'),
      }),
    );
    await batch.commit();
    // A task whose whole life is on record is not counted a second time.
    const new1 = task({ createdAt: at('2026-06-10T10:00:00Z') });
    await write('new1', undefined, new1);
    await db.doc('tasks/new1').set(new1);
    const incremental = await days('ann');

    await backfillUserStats(db, clock, 'ann');
    await backfillUserStats(db, clock, 'bob');
    const ann = await days('ann');
    // 03:00Z is 08:30 in Kolkata.
    expect(ann['2026-05-01']).toMatchObject({ tasksCreated: 1, events: 1, projects: ['p1'] });
    expect(ann['2026-05-03']).toMatchObject({
      tasksCreated: 1,
      tasksCompleted: 1,
      events: 2,
      projects: ['p9'],
    });
    expect(ann['2026-06-10']).toEqual(incremental['2026-06-10']);
    // Completed 06:30Z on the 2nd: the 1st, 23:30 in Los Angeles, for bob (the assignee).
    expect((await days('bob'))['2026-05-01']).toMatchObject({ tasksCompleted: 1 });
  });

  it('keeps days beyond the retention horizon (their activity has expired) and fills in missing ones', async () => {
    clock.set('2027-12-01T12:00:00Z'); // more than 400 days after June 2026
    const batch = db.batch();
    batch.set(db.doc('userStats/ann/days/2026-06-01'), {
      tasksCreated: 1,
      tasksStarted: 3,
      secondsMeasured: 3600,
      events: 7,
    });
    batch.set(db.doc('tasks/a'), task({ createdAt: at('2026-06-01T03:00:00Z') }));
    batch.set(db.doc('tasks/b'), task({ createdAt: at('2026-06-02T03:00:00Z') }));
    await batch.commit();

    const result = await backfillUserStats(db, clock, 'ann');
    expect(result).toMatchObject({ fromTasks: 2, daysWritten: 1, daysDeleted: 0 });
    const ann = await days('ann');
    expect(ann['2026-06-01']).toMatchObject({ tasksStarted: 3, secondsMeasured: 3600, events: 7 });
    expect(ann['2026-06-02']).toMatchObject({ tasksCreated: 1, events: 1 });
  });

  it('skips a user without a profile (a deleted account)', async () => {
    await db.doc('tasks/x').set(task({ createdBy: 'gone', assigneeId: null }));
    await expect(backfillUserStats(db, clock, 'gone')).resolves.toMatchObject({
      skipped: true,
      daysWritten: 0,
    });
    expect(await days('gone')).toEqual({});
  });
});

describe('backfillAllUserStats', () => {
  it('goes user by user with progress, resumes after an interruption, and starts over once finished', async () => {
    await history();
    const expected = { ann: await days('ann'), bob: await days('bob') };
    await fs.db.doc('userStats/bob/days/2026-06-11').delete();
    const progress: { result: BackfillUserResult; usersDone: number }[] = [];
    const onProgress = (p: (typeof progress)[number]) => progress.push(p);

    const first = await backfillAllUserStats(db, clock, { maxUsers: 1, pageSize: 2, onProgress });
    expect(first).toEqual({ users: 1, usersDone: 1, resumedAfter: null, finished: false });
    expect((await db.doc('backfills/userStats').get()).data()).toMatchObject({
      cursor: 'ann',
      usersDone: 1,
      finishedAt: null,
    });

    const rest = await backfillAllUserStats(db, clock, { pageSize: 2, onProgress });
    expect(rest).toEqual({ users: 2, usersDone: 3, resumedAfter: 'ann', finished: true });
    expect(progress.map((p) => [p.result.userId, p.usersDone])).toEqual([
      ['ann', 1],
      ['bob', 2],
      ['cat', 3],
    ]);
    expect(await days('bob')).toEqual(expected.bob);
    expect(await days('ann')).toEqual(expected.ann);
    expect(await days('cat')).toEqual({});
    expect(progress.every((p) => !p.result.skipped)).toBe(true);

    const again = await backfillAllUserStats(db, clock, { pageSize: 2 });
    expect(again).toMatchObject({ users: 3, resumedAfter: null, finished: true });
  });
});
