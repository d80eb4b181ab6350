import functionsTest from 'firebase-functions-test';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { onTaskWritten } from '../../src/functions/task.triggers';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';
import { taskDoc } from '../support/tasks';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
const runtime = testRuntime(fs.db, { clock });

beforeAll(() => {
  setRuntimeForTesting(runtime);
});
beforeEach(async () => {
  // Recipients have profiles (onUserCreated); a uid without one gets nothing (deleted account).
  await Promise.all(
    ['ann', 'bob', 'cat'].map((uid) => fs.db.doc(`users/${uid}`).set({ email: `${uid}@x.test` })),
  );
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

const task = taskDoc;

/** One Firestore write event, as the trigger receives it (fixed event id to replay it). */
function event(id: string, before: object | null, after: object | null) {
  const path = 'tasks/t1';
  return {
    id,
    params: { taskId: 't1' },
    data: fft.makeChange(
      before
        ? fft.firestore.makeDocumentSnapshot(before, path)
        : fft.firestore.makeDocumentSnapshot({}, ''),
      after
        ? fft.firestore.makeDocumentSnapshot(after, path)
        : fft.firestore.makeDocumentSnapshot({}, ''),
    ),
  } as never;
}

async function inbox(uid: string) {
  const snap = await fs.db.collection(`users/${uid}/notifications`).get();
  return snap.docs.map((d) => d.data());
}

describe('onTaskWritten (Firestore trigger → inbox)', () => {
  it('assigning a task gives the assignee exactly one inbox item, however often the event is delivered', async () => {
    const wrapped = fft.wrap(onTaskWritten);
    const e = event(
      'evt-assign-1',
      task({ assigneeId: null }),
      task({ assigneeId: 'bob', updatedBy: 'ann' }),
    );
    await wrapped(e);
    await wrapped(e);
    await wrapped(e);
    const items = await inbox('bob');
    expect(items).toEqual([
      expect.objectContaining({
        type: 'task_assigned',
        title: 'New task assigned',
        body: 'You were assigned "Ship v1"',
        taskId: 't1',
        projectId: 'p1',
        groupKey: 'task:t1',
        read: false,
      }),
    ]);
    // The actor hears nothing about their own change.
    expect(await inbox('ann')).toEqual([]);
  });

  it('reassignment tells the new assignee and the previous one', async () => {
    await fft.wrap(onTaskWritten)(
      event(
        'evt-reassign',
        task({ assigneeId: 'bob' }),
        task({ assigneeId: 'cat', updatedBy: 'ann' }),
      ),
    );
    expect((await inbox('cat')).map((n) => n.type)).toEqual(['task_assigned']);
    expect((await inbox('bob')).map((n) => n.type)).toEqual(['task_unassigned']);
  });

  it('completion tells the creator, not the assignee who completed it; a new event id is a new item', async () => {
    const wrapped = fft.wrap(onTaskWritten);
    await wrapped(
      event(
        'evt-done',
        task({ assigneeId: 'bob' }),
        task({ assigneeId: 'bob', status: 'done', updatedBy: 'bob' }),
      ),
    );
    await wrapped(
      event(
        'evt-reopen',
        task({ assigneeId: 'bob', status: 'done' }),
        task({ assigneeId: 'bob', status: 'todo', updatedBy: 'bob' }),
      ),
    );
    expect((await inbox('ann')).map((n) => n.type).sort()).toEqual([
      'task_completed',
      'task_status_changed',
    ]);
    expect(await inbox('bob')).toEqual([]);
  });

  it('ignores deletions and documents that are not tasks', async () => {
    const wrapped = fft.wrap(onTaskWritten);
    await wrapped(event('evt-delete', task({ assigneeId: 'bob' }), null));
    await wrapped(event('evt-junk', { foo: 1 }, { foo: 2, assigneeId: 'bob' }));
    expect(await inbox('bob')).toEqual([]);
    expect(
      runtime.logger.lines.some((l) => l.message === 'Not a valid task; no notifications'),
    ).toBe(true);
  });
});

describe('onTaskWritten runs every task-write effect, each exactly once', () => {
  it('one assignment with a due date: inbox item, reminders armed, activity counted — twice delivered, once done', async () => {
    const { Timestamp } = await import('firebase-admin/firestore');
    const due = Timestamp.fromDate(new Date('2026-11-25T10:00:00Z'));
    const updatedAt = Timestamp.fromDate(clock.now());
    const before = task({ dueDate: due, updatedAt });
    const after = task({ assigneeId: 'bob', updatedBy: 'ann', dueDate: due, updatedAt });
    // The trigger re-reads the task for reminders (the event may be stale): store it.
    await fs.db.doc('tasks/t1').set(after);
    const wrapped = fft.wrap(onTaskWritten);
    const e = event('evt-all', before, after);
    await wrapped(e);
    const snapshot = async () => ({
      inbox: (await inbox('bob')).length,
      task: (await fs.db.doc('taskSchedules/t1').get()).get('nextReminderAt') as unknown,
      activity: (await fs.db.collection('activity').get()).docs.map(
        (d) => d.get('eventType') as string,
      ),
      bobDays: (await fs.db.collection('userStats/bob/days').get()).docs.map((d) => d.data()),
    });
    const first = await snapshot();
    expect(first.inbox).toBe(1);
    expect(first.task).toEqual(Timestamp.fromDate(new Date('2026-11-24T10:00:00Z'))); // 24 h lead
    expect(first.activity).toEqual(['task_assigned']);
    expect(first.bobDays).toEqual([expect.objectContaining({ tasksAssigned: 1 })]);

    await wrapped(e);
    expect(await snapshot()).toEqual(first);
  });

  it('a failing effect fails the event (so it is retried) after the others did their part', async () => {
    const after = task({ assigneeId: 'bob', updatedBy: 'ann' });
    await fs.db.doc('tasks/t1').set(after);
    // Analytics cannot write: a Firestore batch with an invalid field value fails it.
    runtime.deps.analyticsRetentionDays = Number.NaN;
    await expect(fft.wrap(onTaskWritten)(event('evt-fail', task({}), after))).rejects.toThrow(
      /analytics/,
    );
    runtime.deps.analyticsRetentionDays = undefined;
    expect(await inbox('bob')).toHaveLength(1); // notifications still happened
    expect(runtime.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'Task write effects failed; the event will be retried',
      }),
    );
  });
});
