/**
 * How many runs of `onTaskWritten` one reassignment costs, counted through the local stack's
 * trigger relay (every write to tasks/{id} on the embedded Firestore reaches the function as its
 * CloudEvent, as in production), with the documents each run reads and writes. The client's write
 * is one run; the reminder bookkeeping that run writes back into the task is a second run, which
 * the pipeline recognises as bookkeeping only and ends without reading or writing anything.
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

it('a reassignment from bob to carol: the client write runs every effect, the bookkeeping write it causes runs none', async () => {
  await Promise.all(
    ['ann', 'bob', 'carol'].map((uid) => fs.db.doc(`users/${uid}`).set({ email: `${uid}@x.test` })),
  );
  const r = relay(fs.db, { projectId: fs.projectId, functionsHost: emulator.host, log: () => {} });
  try {
    await r.sync();
    const due = Timestamp.fromDate(new Date('2026-11-25T10:00:00Z'));
    await fs.db
      .doc('tasks/t1')
      .set(
        taskDoc({ assigneeId: 'bob', dueDate: due, updatedAt: Timestamp.fromDate(clock.now()) }),
      );
    await settled(1);
    runs.length = 0;

    await fs.db.doc('tasks/t1').update({
      assigneeId: 'carol',
      updatedBy: 'ann',
      updatedAt: Timestamp.fromMillis(clock.now().getTime() + 60_000),
    });
    await settled(1);
    process.stdout.write(`onTaskWritten runs for one reassignment: ${JSON.stringify(runs)}\n`);

    expect(runs).toHaveLength(2);
    const [client, bookkeeping] = runs;
    expect(client!.fields).toEqual(['assigneeId', 'updatedAt']);
    expect(bookkeeping!.fields).toEqual(['reminders']);
    expect(client!.reads).toBeGreaterThan(0);
    expect(client!.writes).toBeGreaterThan(0);
    expect(bookkeeping).toMatchObject({ reads: 0, writes: 0 });
    const inbox = async (uid: string) =>
      (await fs.db.collection(`users/${uid}/notifications`).get()).docs.map((d) => d.get('type'));
    expect(await inbox('carol')).toEqual(['task_assigned']);
    expect((await inbox('bob')).sort()).toEqual(['task_assigned', 'task_unassigned']);
    expect((await fs.db.doc('tasks/t1').get()).get('reminders')).toMatchObject({
      assigneeId: 'carol',
    });
  } finally {
    r.stop();
  }
});
