import { Timestamp, type DocumentData } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { spawnDueOccurrences } from '../../src/domain/tasks/recurrence-sweep.service';
import { spawnNextOccurrence } from '../../src/domain/tasks/recurrence.service';
import { createTestFirestore } from '../support/firestore';

/**
 * The on_due sweep against abuse: a series due decades ago spawns one task (the next occurrence
 * after now), one user's many due series cannot starve another's, and a document that cannot be
 * processed is skipped, recorded and finally disarmed, never stalling the rest.
 */

const fs = createTestFirestore();
const clock = new FixedClock('2026-03-23T10:00:00Z');
const ts = (iso: string) => Timestamp.fromDate(new Date(iso));

beforeEach(() => {
  clock.set('2026-03-23T10:00:00Z');
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

/** A daily on_due series task, due in 1970 (its schedule armed for its due date: {@link seed}). */
function armedTask(overrides: DocumentData = {}): DocumentData {
  return {
    title: 'Daily',
    description: '',
    projectId: 'p1',
    workspaceId: 'w1',
    assigneeId: null,
    createdBy: 'alice',
    updatedBy: 'alice',
    status: 'todo',
    priority: 'medium',
    dueDate: ts('1970-01-01T09:00:00Z'),
    completedAt: null,
    recurrence: { rule: 'FREQ=DAILY', timezone: 'UTC', dueMode: 'on_due' },
    deletedAt: null,
    createdAt: ts('2026-03-20T10:00:00Z'),
    updatedAt: ts('2026-03-20T10:00:00Z'),
    ...overrides,
  };
}

/**
 * Writes each task and its schedule armed at `armedAt` (default: its due date), as the task
 * trigger leaves an on_due series.
 */
async function seed(...tasks: [id: string, data: DocumentData, armedAt?: Timestamp][]) {
  const batch = fs.db.batch();
  for (const [id, data, armedAt] of tasks) {
    batch.set(fs.db.doc(`tasks/${id}`), data);
    batch.set(fs.db.doc(`taskSchedules/${id}`), {
      recurrenceNextAt: armedAt ?? (data.dueDate as Timestamp),
    });
  }
  await batch.commit();
}

async function tasks(): Promise<Map<string, DocumentData>> {
  const snap = await fs.db.collection('tasks').get();
  return new Map(snap.docs.map((d) => [d.id, d.data()]));
}

it('a daily series due in 1970 spawns one task, due after now, and no catch-up chain', async () => {
  await seed(['old', armedTask()]);
  const first = await spawnDueOccurrences(fs.db, clock, { limit: 50 });
  expect(first.spawned).toBe(1);
  const all = await tasks();
  expect([...all.keys()].sort()).toEqual(['old', 'old_20260324T090000Z']);
  // The next sweep finds nothing due: the new occurrence is in the future.
  expect(await spawnDueOccurrences(fs.db, clock, { limit: 50 })).toMatchObject({ spawned: 0 });
});

it("one user's many due series cannot starve another user's series", async () => {
  await seed(
    ...Array.from(
      { length: 30 },
      (_, i) => [`flood-${String(i).padStart(2, '0')}`, armedTask()] as [string, DocumentData],
    ),
    [
      'bob-1',
      armedTask({ createdBy: 'bob', dueDate: ts('2026-03-23T09:00:00Z') }),
      ts('2026-03-23T09:00:00Z'),
    ],
  );
  const report = await spawnDueOccurrences(fs.db, clock, { limit: 20, perOwnerLimit: 5 });
  expect(report.spawned).toBe(6); // five of alice's, bob's one
  expect([...(await tasks()).keys()]).toContain('bob-1_20260324T090000Z');
  expect(report.deferred).toBe(25);
  // Deferred series come after everything due before the next tick, and are served later.
  clock.set('2026-03-23T10:15:00Z');
  const next = await spawnDueOccurrences(fs.db, clock, { limit: 20, perOwnerLimit: 5 });
  expect(next.spawned).toBe(5);
});

it('a poisoned task is skipped and recorded; healthy ones are processed; it is disarmed at last', async () => {
  // A series id with a slash cannot name a document: every attempt to spawn from it throws.
  await seed(
    [
      'poison',
      armedTask({ seriesId: 'a/b', dueDate: ts('0001-01-01T00:00:00Z') }),
      ts('0001-01-01T00:00:00Z'),
    ],
    ['healthy', armedTask({ createdBy: 'bob' })],
  );
  const report = await spawnDueOccurrences(fs.db, clock, { limit: 50 });
  expect(report.spawned).toBe(1);
  expect(report.failures).toBe(1);
  const errors = await fs.db.collection('sweepErrors').get();
  expect(errors.docs.map((d) => d.data())).toEqual([
    expect.objectContaining({ sweep: 'spawnRecurringTasks', path: 'tasks/poison', attempts: 1 }),
  ]);
  // Further runs retry it, then give up on it: disarmed, so it no longer sorts first forever.
  await spawnDueOccurrences(fs.db, clock, { limit: 50 });
  await spawnDueOccurrences(fs.db, clock, { limit: 50 });
  expect((await fs.db.doc('taskSchedules/poison').get()).get('recurrenceNextAt')).toBeNull();
  const recorded = (await fs.db.collection('sweepErrors').get()).docs[0]?.data();
  expect(recorded).toMatchObject({ attempts: 3, quarantined: true });
});

it('an unknown zone does not stop the sweep: evaluated in UTC with a warning', async () => {
  await seed(
    [
      'zone',
      armedTask({ recurrence: { rule: 'FREQ=DAILY', timezone: 'Foo/Bar', dueMode: 'on_due' } }),
    ],
    ['healthy', armedTask({ createdBy: 'bob' })],
  );
  const report = await spawnDueOccurrences(fs.db, clock, { limit: 50 });
  expect(report.spawned).toBe(2);
  expect(report.zoneFallbacks).toBe(1);
  expect((await tasks()).has('zone_20260324T090000Z')).toBe(true);
});

it('on_complete with an unknown zone spawns (in UTC) instead of failing the trigger forever', async () => {
  const before = armedTask({
    recurrence: { rule: 'FREQ=DAILY', timezone: 'Foo/Bar' },
    dueDate: ts('2026-03-23T09:00:00Z'),
  });
  const after = { ...before, status: 'done' };
  await fs.db.doc('tasks/c1').set(after);
  const result = await spawnNextOccurrence(fs.db, clock, {
    eventId: 'e1',
    taskId: 'c1',
    before,
    after,
  });
  expect(result).toMatchObject({ action: 'spawned', nextTaskId: 'c1_20260324T090000Z' });
});
