/**
 * The trigger relay of the local stack's embedded Firestore (scripts/firestore-trigger-relay.cjs):
 * an Admin SDK write to tasks/{id} on the Firestore server reaches the real `onTaskWritten` as the
 * CloudEvent the Functions emulator would hand it (decoded by firebase-functions itself), exactly
 * as `npm start` wires it when no Java can run the official emulator. The Functions emulator is a
 * small HTTP stand-in here that runs the exported function in-process.
 */
import type http from 'node:http';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { onTaskWritten } from '../../src/functions/task.triggers';
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

interface Delivery {
  id: string;
  docPath: string;
  before: Record<string, unknown> | undefined;
  after: Record<string, unknown> | undefined;
  event: Record<string, unknown>;
}

/** What the Functions emulator would do: run the function per event. */
const received: Delivery[] = [];
const relayLog: string[] = [];
const waiters: { n: number; resolve: () => void }[] = [];
/** Answer the next event 500 (a failed run, which `retry: true` makes Cloud Functions redo). */
let failNext = false;
let emulator: FunctionsEmulatorStub;
let functionsHost = '';

function onEvent(headers: http.IncomingHttpHeaders, body: string): Promise<number> {
  const event = cloudEventOf(headers, body);
  const id = event.id;
  const record = (d: Omit<Delivery, 'id' | 'docPath' | 'event'>) => {
    received.push({ id, docPath: String(event.document), event, ...d });
    for (const w of waiters.filter((x) => received.length >= x.n)) w.resolve();
  };
  if (failNext) {
    failNext = false;
    record({ before: undefined, after: undefined });
    return Promise.resolve(500);
  }
  // The exported function decodes the protobuf event itself, as in the emulator's runtime.
  const run = onTaskWritten as unknown as (e: unknown) => Promise<unknown>;
  const decoded = import('firebase-functions/firestore').then(({ onDocumentWritten }) =>
    (
      onDocumentWritten('tasks/{taskId}', (e) => ({
        before: e.data?.before.exists ? e.data.before.data() : undefined,
        after: e.data?.after.exists ? e.data.after.data() : undefined,
      })) as unknown as (e: unknown) => Promise<{ before?: object; after?: object }>
    )(event),
  );
  return Promise.all([run(event), decoded]).then(([, data]) => {
    record({
      before: data.before as Record<string, unknown> | undefined,
      after: data.after as Record<string, unknown> | undefined,
    });
    return 200;
  });
}

function receivedCount(n: number): Promise<void> {
  if (received.length >= n) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`only ${received.length} of ${n} events arrived`));
    }, 15_000);
    waiters.push({
      n,
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
    });
  });
}

const savedConfig = process.env.FIREBASE_CONFIG;
beforeAll(async () => {
  // firebase-functions builds the event's snapshots with the default app of this project.
  process.env.FIREBASE_CONFIG = JSON.stringify({ projectId: fs.projectId });
  setRuntimeForTesting(testRuntime(fs.db, { clock }));
  emulator = await startFunctionsEmulatorStub(onEvent);
  functionsHost = emulator.host;
});
afterAll(async () => {
  setRuntimeForTesting(undefined);
  if (savedConfig === undefined) delete process.env.FIREBASE_CONFIG;
  else process.env.FIREBASE_CONFIG = savedConfig;
  await emulator.close();
  await fs.dispose();
});

const task = taskDoc;

async function inbox(uid: string) {
  const snap = await fs.db.collection(`users/${uid}/notifications`).get();
  return snap.docs.map((d) => d.data());
}

describe('firestore-trigger-relay (embedded Firestore → onTaskWritten)', () => {
  it('turns an Admin SDK assignment into one inbox item for the assignee, and follows updates and deletes', async () => {
    await Promise.all(
      ['ann', 'bob'].map((uid) => fs.db.doc(`users/${uid}`).set({ email: `${uid}@x.test` })),
    );
    // Present before the relay watches: the baseline, not an event.
    await fs.db.doc('tasks/t1').set(task({}));
    const r = relay(fs.db, {
      projectId: fs.projectId,
      functionsHost,
      log: (line) => relayLog.push(line),
    });
    try {
      await expect(r.sync()).resolves.toEqual([
        { name: 'onTaskWritten', document: 'tasks/{taskId}' },
      ]);

      await fs.db.doc('tasks/t1').update({ assigneeId: 'bob', updatedBy: 'ann' });
      await receivedCount(1);
      expect(received[0]).toMatchObject({
        docPath: 'tasks/t1',
        before: expect.objectContaining({ assigneeId: null }),
        after: expect.objectContaining({ assigneeId: 'bob', updatedBy: 'ann' }),
      });
      expect(received[0]!.event).toMatchObject({
        type: 'google.cloud.firestore.document.v1.written',
        subject: 'documents/tasks/t1',
        datacontenttype: 'application/protobuf',
      });
      expect(await inbox('bob')).toEqual([
        expect.objectContaining({ type: 'task_assigned', taskId: 't1', read: false }),
      ]);
      expect(await inbox('ann')).toEqual([]);

      // The same event delivered again (what a retry is) adds nothing.
      await (onTaskWritten as unknown as (e: unknown) => Promise<unknown>)(received[0]!.event);
      expect(await inbox('bob')).toHaveLength(1);

      await fs.db.doc('tasks/t2').set(task({ assigneeId: 'bob' }));
      await fs.db.doc('tasks/t1').delete();
      await receivedCount(3);
      const rest = received
        .slice(1)
        .map((d) => [d.docPath, d.before !== undefined, d.after !== undefined]);
      expect(rest).toEqual(
        expect.arrayContaining([
          ['tasks/t2', false, true],
          ['tasks/t1', true, false],
        ]),
      );
      expect(new Set(received.map((d) => d.id)).size).toBe(3);
    } finally {
      r.stop();
    }
  });

  it('redelivers a failed run of a retrying trigger with the same event id', async () => {
    const r = relay(fs.db, {
      projectId: fs.projectId,
      functionsHost,
      log: (line) => relayLog.push(line),
    });
    try {
      await r.sync();
      const before = received.length;
      failNext = true;
      await fs.db.doc('tasks/t3').set(task({ assigneeId: 'bob' }));
      await receivedCount(before + 2);
      const [failed, redelivered] = received.slice(before);
      expect(failed!.docPath).toBe('tasks/t3');
      expect(redelivered!.id).toBe(failed!.id);
      expect(relayLog).toContainEqual(
        `onTaskWritten created tasks/t3 (event ${failed!.id}): HTTP 500; redelivering in 1 s`,
      );
      expect(redelivered!.after).toMatchObject({ assigneeId: 'bob' });
    } finally {
      r.stop();
    }
  });
});
