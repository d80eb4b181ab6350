import functionsTest from 'firebase-functions-test';
import { Timestamp } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { runTaskPipeline } from '../../src/domain/tasks/task-pipeline.service';
import type { TaskEffect } from '../../src/domain/tasks/task-write';
import { onTaskWritten } from '../../src/functions/task.triggers';
import { createTestFirestore } from '../support/firestore';
import { recordingLogger, testRuntime } from '../support/runtime';
import { taskDoc } from '../support/tasks';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
const runtime = testRuntime(fs.db, { clock });

beforeAll(() => {
  setRuntimeForTesting(runtime);
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

function event(id: string, before: object, after: object) {
  const path = 'tasks/t1';
  return {
    id,
    params: { taskId: 't1' },
    data: fft.makeChange(
      fft.firestore.makeDocumentSnapshot(before, path),
      fft.firestore.makeDocumentSnapshot(after, path),
    ),
  } as never;
}

const due = Timestamp.fromDate(new Date('2026-11-20T09:00:00Z'));
const onDue = { rule: 'FREQ=DAILY;COUNT=2', timezone: 'UTC', dueMode: 'on_due' };

describe('onTaskWritten: the server writing its own bookkeeping into a task', () => {
  it('a series the sweep ended stays disarmed: its bookkeeping write re-arms nothing', async () => {
    const armed = taskDoc({
      dueDate: due,
      recurrence: onDue,
      occurrence: 2,
      recurrenceNextAt: due,
    });
    const ended = { ...armed, recurrenceNextId: null, recurrenceNextAt: null };
    await fs.db.doc('tasks/t1').set(ended);
    await fft.wrap(onTaskWritten)(event('evt-ended', armed, ended));
    expect((await fs.db.doc('tasks/t1').get()).data()).toEqual(ended);
  });

  it('a reminder bookkeeping write runs no effect and reads nothing', async () => {
    const before = taskDoc({ assigneeId: 'bob', dueDate: due });
    const after = { ...before, nextReminderAt: due, reminders: null, overdueCheckAt: null };
    const ran: string[] = [];
    const spy: TaskEffect = {
      name: 'spy',
      run: () => {
        ran.push('spy');
        return Promise.resolve();
      },
    };
    const result = await runTaskPipeline(
      { deps: runtime.deps, logger: recordingLogger() },
      { eventId: 'e1', taskId: 't1', before, after, occurredAt: clock.now() },
      [spy],
    );
    expect(result).toEqual({ write: 'bookkeeping', ran: [], failed: [] });
    expect(ran).toEqual([]);
  });
});

describe('runTaskPipeline: each effect isolated', () => {
  it('an effect that throws before it returns a promise fails alone; the others run', async () => {
    const ran: string[] = [];
    const ok = (name: string): TaskEffect => ({
      name,
      run: () => {
        ran.push(name);
        return Promise.resolve();
      },
    });
    const throwsAtOnce: TaskEffect = {
      name: 'broken',
      run: () => {
        throw new Error('no');
      },
    };
    const logger = recordingLogger();
    const result = await runTaskPipeline(
      { deps: runtime.deps, logger },
      {
        eventId: 'e2',
        taskId: 't1',
        before: taskDoc({}),
        after: taskDoc({ status: 'done' }),
        occurredAt: clock.now(),
      },
      [ok('first'), throwsAtOnce, ok('last')],
    );
    expect(ran).toEqual(['first', 'last']);
    expect(result).toEqual({
      write: 'task',
      ran: ['first', 'broken', 'last'],
      failed: [{ effect: 'broken', error: 'no' }],
    });
    const errors = (await fs.db.collection('sweepErrors').get()).docs.map((d) => d.data());
    expect(errors).toEqual([
      expect.objectContaining({ sweep: 'onTaskWritten.broken', path: 'tasks/t1@e2', attempts: 1 }),
    ]);
  });
});
