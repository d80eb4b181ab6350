import functionsTest from 'firebase-functions-test';
import { Timestamp } from 'firebase-admin/firestore';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { spawnDueOccurrences } from '../../src/domain/tasks/recurrence-sweep.service';
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

describe('onTaskWritten: the server keeps its bookkeeping outside the task', () => {
  it('a series the sweep ended stays disarmed, and ending it writes no task (no trigger run)', async () => {
    const task = taskDoc({ dueDate: due, recurrence: onDue, occurrence: 2 });
    await fs.db.doc('tasks/t1').set(task);
    await fs.db.doc('taskSchedules/t1').set({ recurrenceNextAt: due });
    const written = (await fs.db.doc('tasks/t1').get()).updateTime;
    const report = await spawnDueOccurrences(fs.db, clock, { limit: 10 });
    expect(report).toMatchObject({ due: 1, ended: 1, spawned: 0 });
    const after = await fs.db.doc('tasks/t1').get();
    expect(after.data()).toEqual(task);
    expect(after.updateTime?.isEqual(written!)).toBe(true);
    expect((await fs.db.doc('taskSchedules/t1').get()).data()).toEqual({
      recurrenceNextAt: null,
      recurrenceNextId: null,
    });
  });

  it('no effect writes the task: a reassignment of a dated recurring task, twice delivered', async () => {
    await Promise.all(
      ['ann', 'bob', 'carol'].map((u) => fs.db.doc(`users/${u}`).set({ email: `${u}@x.test` })),
    );
    const later = Timestamp.fromDate(new Date('2026-11-27T09:00:00Z'));
    const before = taskDoc({ assigneeId: 'bob', dueDate: later, recurrence: onDue });
    const after = { ...before, assigneeId: 'carol' };
    await fs.db.doc('tasks/t1').set(after);
    const written = (await fs.db.doc('tasks/t1').get()).updateTime;
    await fft.wrap(onTaskWritten)(event('evt-reassign', before, after));
    await fft.wrap(onTaskWritten)(event('evt-reassign', before, after));
    const task = await fs.db.doc('tasks/t1').get();
    expect(task.data()).toEqual(after);
    expect(task.updateTime?.isEqual(written!)).toBe(true);
    const schedule = (await fs.db.doc('taskSchedules/t1').get()).data();
    expect(schedule).toMatchObject({
      recurrenceNextAt: later,
      reminders: { assigneeId: 'carol', dueAt: later },
      overdueCheckAt: later,
    });
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
