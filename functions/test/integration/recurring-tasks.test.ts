import { formatInTimeZone } from 'date-fns-tz';
import { Timestamp, type DocumentData } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { spawnDueOccurrences } from '../../src/domain/tasks/recurrence-sweep.service';
import { spawnNextOccurrence } from '../../src/domain/tasks/recurrence.service';
import { createTestFirestore } from '../support/firestore';

const fs = createTestFirestore();
const clock = new FixedClock('2026-03-23T10:00:00Z');

beforeEach(() => {
  clock.set('2026-03-23T10:00:00Z');
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const ts = (iso: string) => Timestamp.fromDate(new Date(iso));
const berlin = (t: unknown) =>
  formatInTimeZone((t as Timestamp).toDate(), 'Europe/Berlin', 'EEE yyyy-MM-dd HH:mm');

function task(overrides: DocumentData = {}): DocumentData {
  return {
    title: 'Weekly report',
    description: 'Send the numbers',
    projectId: 'p1',
    workspaceId: 'w1',
    assigneeId: 'bob',
    createdBy: 'alice',
    updatedBy: 'alice',
    status: 'todo',
    priority: 'high',
    // Monday 23 March 2026, 09:00 Berlin (CET).
    dueDate: ts('2026-03-23T08:00:00Z'),
    completedAt: null,
    recurrence: { rule: 'FREQ=WEEKLY;BYDAY=MO', timezone: 'Europe/Berlin' },
    deletedAt: null,
    createdAt: ts('2026-03-20T10:00:00Z'),
    updatedAt: ts('2026-03-20T10:00:00Z'),
    ...overrides,
  };
}

/** Writes `after` as tasks/{id} and returns the completion event the trigger would see. */
async function complete(id: string, before: DocumentData, eventId = `evt-${id}`) {
  const after = { ...before, status: 'done', completedAt: ts('2026-03-23T10:00:00Z') };
  await fs.db.doc(`tasks/${id}`).set(after);
  return { eventId, taskId: id, before, after };
}

async function allTasks(): Promise<Map<string, DocumentData>> {
  const snap = await fs.db.collection('tasks').get();
  return new Map(snap.docs.map((d) => [d.id, d.data()]));
}

/** The tasks' schedules: the recurrence bookkeeping, kept outside the tasks. */
async function allSchedules(): Promise<Map<string, DocumentData>> {
  const snap = await fs.db.collection('taskSchedules').get();
  return new Map(snap.docs.map((d) => [d.id, d.data()]));
}

describe('spawnNextOccurrence (on_complete)', () => {
  it('completing a weekly task creates exactly one next occurrence, on the right local date across DST, even when delivered twice', async () => {
    const before = task();
    await fs.db.doc('tasks/t1').set(before);
    const event = await complete('t1', before);
    // The same event delivered twice, then concurrently, then under other event ids.
    const first = await spawnNextOccurrence(fs.db, clock, event);
    const again = await spawnNextOccurrence(fs.db, clock, event);
    const racing = await Promise.all([
      spawnNextOccurrence(fs.db, clock, { ...event, eventId: 'evt-other-1' }),
      spawnNextOccurrence(fs.db, clock, { ...event, eventId: 'evt-other-2' }),
    ]);
    expect(first).toMatchObject({ action: 'spawned', nextTaskId: 't1_20260330T070000Z' });
    expect([again, ...racing].map((r) => r.action)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
    ]);

    const tasks = await allTasks();
    expect([...tasks.keys()].sort()).toEqual(['t1', 't1_20260330T070000Z']);
    const next = tasks.get('t1_20260330T070000Z')!;
    // 09:00 Berlin on the next Monday, now in summer time (07:00Z, not 08:00Z).
    expect(berlin(next.dueDate)).toBe('Mon 2026-03-30 09:00');
    expect(next).toMatchObject({
      title: 'Weekly report',
      description: 'Send the numbers',
      projectId: 'p1',
      workspaceId: 'w1',
      assigneeId: 'bob',
      createdBy: 'alice',
      updatedBy: null,
      status: 'todo',
      priority: 'high',
      completedAt: null,
      deletedAt: null,
      recurrence: { rule: 'FREQ=WEEKLY;BYDAY=MO', timezone: 'Europe/Berlin' },
      seriesId: 't1',
      occurrence: 2,
      spawnedFrom: 't1',
    });
    expect((next.seriesStart as Timestamp).isEqual(ts('2026-03-23T08:00:00Z'))).toBe(true);
    expect((await allSchedules()).get('t1')?.recurrenceNextId).toBe('t1_20260330T070000Z');
  });

  it('a completion written twice (done, reopened, done again) still gives one next occurrence', async () => {
    const before = task();
    await fs.db.doc('tasks/t1').set(before);
    const first = await complete('t1', before, 'evt-1');
    await spawnNextOccurrence(fs.db, clock, first);
    // The trigger of the reopening write carries the successor id the first spawn recorded.
    const reopened = { ...(await fs.db.doc('tasks/t1').get()).data(), status: 'todo' };
    const second = await complete('t1', reopened, 'evt-2');
    expect(await spawnNextOccurrence(fs.db, clock, second)).toMatchObject({ action: 'duplicate' });
    expect((await allTasks()).size).toBe(2);
  });

  it('the series continues from each occurrence and ends at COUNT', async () => {
    const before = task({
      recurrence: { rule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=3', timezone: 'Europe/Berlin' },
    });
    await fs.db.doc('tasks/t1').set(before);
    const r1 = await spawnNextOccurrence(fs.db, clock, await complete('t1', before));
    expect(r1).toMatchObject({ action: 'spawned', occurrence: 2 });
    const id2 = (r1 as { nextTaskId: string }).nextTaskId;
    const second = (await fs.db.doc(`tasks/${id2}`).get()).data()!;
    const r2 = await spawnNextOccurrence(fs.db, clock, await complete(id2, second));
    expect(r2).toMatchObject({ action: 'spawned', occurrence: 3 });
    const id3 = (r2 as { nextTaskId: string }).nextTaskId;
    expect(berlin((await fs.db.doc(`tasks/${id3}`).get()).get('dueDate'))).toBe(
      'Mon 2026-04-06 09:00',
    );
    const third = (await fs.db.doc(`tasks/${id3}`).get()).data()!;
    expect(await spawnNextOccurrence(fs.db, clock, await complete(id3, third))).toEqual({
      action: 'ended',
      reason: 'count',
    });
    expect((await allTasks()).size).toBe(3);
  });

  it('ignores writes that are not a completion, and tasks without a due date', async () => {
    const before = task();
    const inProgress = { ...before, status: 'in_progress' };
    await fs.db.doc('tasks/t1').set(inProgress);
    const edit = { eventId: 'e', taskId: 't1', before, after: inProgress };
    expect(await spawnNextOccurrence(fs.db, clock, edit)).toMatchObject({ action: 'none' });
    const done = { ...before, status: 'done' };
    const doneAgain = { eventId: 'e2', taskId: 't1', before: done, after: { ...done, title: 'x' } };
    expect(await spawnNextOccurrence(fs.db, clock, doneAgain)).toMatchObject({ action: 'none' });
    const undated = task({ dueDate: null });
    await fs.db.doc('tasks/t2').set(undated);
    expect(await spawnNextOccurrence(fs.db, clock, await complete('t2', undated))).toMatchObject({
      action: 'none',
      reason: 'no due date to recur from',
    });
    expect((await allTasks()).size).toBe(2);
  });
});

describe('on_due recurrence', () => {
  const onDue = { rule: 'FREQ=DAILY', timezone: 'Asia/Kolkata', dueMode: 'on_due' };
  // 23 March 2026 17:30 in Kolkata (+05:30).
  const due = '2026-03-23T12:00:00Z';

  it('is armed by the task trigger and spawned once by overlapping sweeps when the due time passes', async () => {
    const created = task({ recurrence: onDue, dueDate: ts(due) });
    await fs.db.doc('tasks/d1').set(created);
    const armed = await spawnNextOccurrence(fs.db, clock, {
      eventId: 'create',
      taskId: 'd1',
      before: undefined,
      after: created,
    });
    expect(armed).toEqual({ action: 'armed', at: new Date(due) });
    expect(await spawnDueOccurrences(fs.db, clock, { limit: 50 })).toMatchObject({ due: 0 });

    clock.set('2026-03-23T12:05:00Z');
    const reports = await Promise.all([
      spawnDueOccurrences(fs.db, clock, { limit: 50 }),
      spawnDueOccurrences(fs.db, clock, { limit: 50 }),
    ]);
    expect(reports.reduce((n, r) => n + r.spawned, 0)).toBe(1);
    const tasks = await allTasks();
    expect([...tasks.keys()].sort()).toEqual(['d1', 'd1_20260324T120000Z']);
    const next = tasks.get('d1_20260324T120000Z')!;
    expect(
      formatInTimeZone((next.dueDate as Timestamp).toDate(), 'Asia/Kolkata', 'MM-dd HH:mm'),
    ).toBe('03-24 17:30');
    // The new one is armed for its own due time; the source is done with.
    const schedules = await allSchedules();
    const nextSchedule = schedules.get('d1_20260324T120000Z');
    expect((nextSchedule?.recurrenceNextAt as Timestamp).isEqual(next.dueDate as Timestamp)).toBe(
      true,
    );
    expect(schedules.get('d1')?.recurrenceNextAt).toBeNull();
    expect(schedules.get('d1')?.recurrenceNextId).toBe('d1_20260324T120000Z');
    expect(await spawnDueOccurrences(fs.db, clock, { limit: 50 })).toMatchObject({ due: 0 });
  });

  it('follows a changed due date, and is disarmed when the task is deleted', async () => {
    const created = task({ recurrence: onDue, dueDate: ts(due) });
    await fs.db.doc('tasks/d1').set(created);
    await spawnNextOccurrence(fs.db, clock, {
      eventId: 'c',
      taskId: 'd1',
      before: undefined,
      after: created,
    });
    const stored = (await fs.db.doc('tasks/d1').get()).data()!;
    const redated = { ...stored, dueDate: ts('2026-03-25T12:00:00Z') };
    await fs.db.doc('tasks/d1').set(redated);
    expect(
      await spawnNextOccurrence(fs.db, clock, {
        eventId: 'r',
        taskId: 'd1',
        before: stored,
        after: redated,
      }),
    ).toMatchObject({ action: 'armed', at: new Date('2026-03-25T12:00:00Z') });
    clock.set('2026-03-24T00:00:00Z'); // the old due time has passed, the new one has not
    expect(await spawnDueOccurrences(fs.db, clock, { limit: 50 })).toMatchObject({ spawned: 0 });

    const deleted = { ...(await fs.db.doc('tasks/d1').get()).data(), deletedAt: ts(due) };
    await fs.db.doc('tasks/d1').set(deleted);
    expect(
      await spawnNextOccurrence(fs.db, clock, {
        eventId: 'd',
        taskId: 'd1',
        before: redated,
        after: deleted,
      }),
    ).toEqual({ action: 'disarmed' });
    clock.set('2026-03-26T00:00:00Z');
    expect(await spawnDueOccurrences(fs.db, clock, { limit: 50 })).toMatchObject({ due: 0 });
    expect((await allTasks()).size).toBe(1);
  });
});
