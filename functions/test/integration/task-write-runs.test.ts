/**
 * How many runs of `onTaskWritten` one reassignment costs, counted through the local stack's
 * trigger relay (every write to tasks/{id} on the embedded Firestore reaches the function as its
 * CloudEvent, as in production), with the documents each run reads and writes. The client's write
 * is the only run: the bookkeeping that run keeps (reminders, overdue check, recurrence) lives in
 * `taskSchedules/{taskId}`, outside the task, so it fires no second run.
 */
import type http from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { Timestamp, WriteBatch } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { onTaskWritten } from '../../src/functions/task.triggers';
import { countReads, type ReadCounter } from '../support/firestore-reads';
import { createTestFirestore } from '../support/firestore';
import {
  cloudEventOf,
  relay,
  startFunctionsEmulatorStub,
  type FunctionsEmulatorStub,
} from '../support/functions-emulator-stub';
import { testRuntime } from '../support/runtime';
import { taskDoc } from '../support/tasks';

const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');

interface Run {
  fields: string[];
  reads: number;
  writes: number;
}

const runs: Run[] = [];
let reads: ReadCounter;
let writes = 0;
let emulator: FunctionsEmulatorStub;

/** Documents written by every batch and transaction commit of the test's Firestore. */
function countWrites(): () => void {
  const proto = WriteBatch.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const original = proto._commit!;
  proto._commit = function (this: { _firestore: unknown; _ops: unknown[] }, ...args: unknown[]) {
    if (this._firestore === fs.db) writes += this._ops.length;
    return original.apply(this, args);
  };
  return () => {
    proto._commit = original;
  };
}

/** The top-level fields one event changed (decoded by firebase-functions, as the trigger does). */
async function changedFields(event: unknown): Promise<string[]> {
  const { onDocumentWritten } = await import('firebase-functions/firestore');
  const decode = onDocumentWritten('tasks/{taskId}', (e) => ({
    before: (e.data?.before.data() ?? {}) as Record<string, unknown>,
    after: (e.data?.after.data() ?? {}) as Record<string, unknown>,
  })) as unknown as (e: unknown) => Promise<Record<'before' | 'after', Record<string, unknown>>>;
  const { before, after } = await decode(event);
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => !isDeepStrictEqual(before[k], after[k]))
    .sort();
}

/** Runs one delivery (they arrive one at a time for one document) and records what it cost. */
async function onEvent(headers: http.IncomingHttpHeaders, body: string): Promise<number> {
  const event = cloudEventOf(headers, body);
  const fields = await changedFields(event);
  reads.reset();
  writes = 0;
  await (onTaskWritten as unknown as (e: unknown) => Promise<unknown>)(event);
  const read = Object.values(reads.log.documents).reduce((a, b) => a + b, 0);
  runs.push({ fields, reads: read, writes });
  return 200;
}

/** Resolves once `atLeast` runs were recorded and then none for `quietMs`. */
async function settled(atLeast: number, quietMs = 2_000, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  let seen = -1;
  let since = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (runs.length !== seen || runs.length < atLeast) {
      seen = runs.length;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the trigger kept running');
}

let restoreWrites: () => void;
const savedConfig = process.env.FIREBASE_CONFIG;
beforeAll(async () => {
  process.env.FIREBASE_CONFIG = JSON.stringify({ projectId: fs.projectId });
  setRuntimeForTesting(testRuntime(fs.db, { clock }));
  emulator = await startFunctionsEmulatorStub(onEvent);
  reads = countReads(fs.db);
  restoreWrites = countWrites();
});
afterAll(async () => {
  restoreWrites();
  reads.restore();
  setRuntimeForTesting(undefined);
  if (savedConfig === undefined) delete process.env.FIREBASE_CONFIG;
  else process.env.FIREBASE_CONFIG = savedConfig;
  await emulator.close();
  await fs.dispose();
});

const inbox = async (uid: string) =>
  (await fs.db.collection(`users/${uid}/notifications`).get()).docs.map((d) => d.get('type'));

/** Writes `initial` as tasks/{id}, lets its runs settle, then applies `change`: its runs. */
async function runsOf(
  id: string,
  initial: Record<string, unknown>,
  change: Record<string, unknown>,
): Promise<Run[]> {
  const r = relay(fs.db, { projectId: fs.projectId, functionsHost: emulator.host, log: () => {} });
  try {
    await r.sync();
    await fs.db
      .doc(`tasks/${id}`)
      .set(taskDoc({ ...initial, updatedAt: Timestamp.fromDate(clock.now()) }));
    await settled(1);
    runs.length = 0;
    await fs.db.doc(`tasks/${id}`).update({
      ...change,
      updatedBy: 'ann',
      updatedAt: Timestamp.fromMillis(clock.now().getTime() + 60_000),
    });
    await settled(1);
    return [...runs];
  } finally {
    r.stop();
  }
}

beforeAll(async () => {
  await Promise.all(
    ['ann', 'bob', 'carol'].map((uid) => fs.db.doc(`users/${uid}`).set({ email: `${uid}@x.test` })),
  );
});

const due = Timestamp.fromDate(new Date('2026-11-25T10:00:00Z'));
const weekly = { rule: 'FREQ=WEEKLY', timezone: 'Europe/Berlin', dueMode: 'on_due' };

it('a reassignment from bob to carol of a task with a due date: one run, which runs every effect', async () => {
  const measured = await runsOf('t1', { assigneeId: 'bob', dueDate: due }, { assigneeId: 'carol' });
  process.stdout.write(`onTaskWritten runs for one reassignment: ${JSON.stringify(measured)}\n`);

  expect(measured).toHaveLength(1);
  const [client] = measured;
  expect(client!.fields).toEqual(['assigneeId', 'updatedAt']);
  expect(client!.reads).toBeGreaterThan(0);
  expect(client!.writes).toBeGreaterThan(0);
  expect(await inbox('carol')).toEqual(['task_assigned']);
  expect((await inbox('bob')).sort()).toEqual(['task_assigned', 'task_unassigned']);
  expect((await fs.db.doc('taskSchedules/t1').get()).get('reminders')).toMatchObject({
    assigneeId: 'carol',
  });
  expect((await fs.db.doc('tasks/t1').get()).get('reminders')).toBeUndefined();
});

it('a reassignment of a recurring (on_due) task: one run', async () => {
  const measured = await runsOf(
    't2',
    { assigneeId: 'bob', dueDate: due, recurrence: weekly },
    { assigneeId: 'carol' },
  );
  process.stdout.write(
    `onTaskWritten runs for one reassignment of a recurring task: ${JSON.stringify(measured)}\n`,
  );

  expect(measured).toHaveLength(1);
  expect(measured[0]!.fields).toEqual(['assigneeId', 'updatedAt']);
  const schedule = await fs.db.doc('taskSchedules/t2').get();
  expect(schedule.get('reminders')).toMatchObject({ assigneeId: 'carol' });
  expect((schedule.get('recurrenceNextAt') as Timestamp).toMillis()).toBe(due.toMillis());
  const task = (await fs.db.doc('tasks/t2').get()).data() ?? {};
  expect(Object.keys(task)).not.toEqual(
    expect.arrayContaining([expect.stringMatching(/^(reminders|recurrenceNextAt)$/)]),
  );
});

it('a new due date of a recurring (on_due) task: one run, reminders and recurrence re-armed', async () => {
  const later = Timestamp.fromDate(new Date('2026-11-27T10:00:00Z'));
  const measured = await runsOf(
    't3',
    { assigneeId: 'bob', dueDate: due, recurrence: weekly },
    { dueDate: later },
  );
  process.stdout.write(
    `onTaskWritten runs for one re-dating of a recurring task: ${JSON.stringify(measured)}\n`,
  );

  expect(measured).toHaveLength(1);
  expect(measured[0]!.fields).toEqual(['dueDate', 'updatedAt']);
  const schedule = await fs.db.doc('taskSchedules/t3').get();
  expect(schedule.get('reminders')).toMatchObject({ assigneeId: 'bob' });
  expect((schedule.get('overdueCheckAt') as Timestamp).toMillis()).toBe(later.toMillis());
  expect((schedule.get('recurrenceNextAt') as Timestamp).toMillis()).toBe(later.toMillis());
});
