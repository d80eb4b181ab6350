import functionsTest from 'firebase-functions-test';
import { Timestamp } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { onTaskWritten } from '../../src/functions/task.triggers';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';
import { taskDoc } from '../support/tasks';

/**
 * A task document that one effect of `onTaskWritten` can never process must not fail the event
 * for the whole retry window: after a few attempts of the same event the effect is given up and
 * recorded (sweepErrors), and the event succeeds.
 */

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');

beforeAll(() => {
  setRuntimeForTesting(testRuntime(fs.db, { clock }));
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

it('a completion whose next occurrence cannot be created fails twice, then is given up and recorded', async () => {
  const path = 'tasks/t1';
  const before = taskDoc({
    dueDate: Timestamp.fromDate(new Date('2026-11-23T09:00:00Z')),
    recurrence: { rule: 'FREQ=DAILY', timezone: 'UTC' },
    // A series id with a slash cannot name a document: spawning from it always throws.
    seriesId: 'a/b',
  });
  const after = { ...before, status: 'done' };
  await fs.db.doc(path).set(after);
  const event = {
    id: 'evt-poison',
    params: { taskId: 't1' },
    data: fft.makeChange(
      fft.firestore.makeDocumentSnapshot(before, path),
      fft.firestore.makeDocumentSnapshot(after, path),
    ),
  } as never;
  const wrapped = fft.wrap(onTaskWritten);
  await expect(wrapped(event)).rejects.toThrow(/recurrence/);
  await expect(wrapped(event)).rejects.toThrow(/recurrence/);
  await expect(wrapped(event)).resolves.toBeUndefined();
  const errors = (await fs.db.collection('sweepErrors').get()).docs.map((d) => d.data());
  expect(errors).toEqual([
    expect.objectContaining({
      sweep: 'onTaskWritten.recurrence',
      path: 'tasks/t1@evt-poison',
      attempts: 3,
      quarantined: true,
    }),
  ]);
});
