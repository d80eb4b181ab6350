import {
  notificationsForTaskWrite,
  type TaskState,
} from '../../src/domain/notifications/task-events';

const base: TaskState = {
  title: 'Ship v1',
  projectId: 'p1',
  createdBy: 'ann',
  updatedBy: 'ann',
  assigneeId: null,
  status: 'todo',
  deletedAt: null,
};
const task = (over: Partial<TaskState>): TaskState => ({ ...base, ...over });
const summary = (before: TaskState | null, after: TaskState | null) =>
  notificationsForTaskWrite(before, after)
    .map((n) => `${n.kind}→${n.recipient}`)
    .sort();

describe('notificationsForTaskWrite', () => {
  it('tells the assignee of a new task, unless they created it themselves', () => {
    expect(summary(null, task({ assigneeId: 'bob' }))).toEqual(['task_assigned→bob']);
    expect(summary(null, task({ assigneeId: 'ann' }))).toEqual([]);
    expect(summary(null, task({}))).toEqual([]);
  });

  it('on reassignment tells the new assignee and the previous one, never the actor', () => {
    const before = task({ assigneeId: 'bob' });
    expect(summary(before, task({ assigneeId: 'cat', updatedBy: 'ann' }))).toEqual([
      'task_assigned→cat',
      'task_unassigned→bob',
    ]);
    // Bob hands it to Cat himself: only Cat hears about it.
    expect(summary(before, task({ assigneeId: 'cat', updatedBy: 'bob' }))).toEqual([
      'task_assigned→cat',
    ]);
    // Cat takes it: Bob is told it moved away.
    expect(summary(before, task({ assigneeId: 'cat', updatedBy: 'cat' }))).toEqual([
      'task_unassigned→bob',
    ]);
    const n = notificationsForTaskWrite(before, task({ assigneeId: null, updatedBy: 'ann' }));
    expect(n).toEqual([
      { kind: 'task_unassigned', recipient: 'bob', previousAssigneeId: 'bob', newAssigneeId: null },
    ]);
  });

  it('on status change tells creator and assignee, except whoever changed it', () => {
    const before = task({ assigneeId: 'bob', status: 'todo' });
    expect(
      summary(before, task({ assigneeId: 'bob', status: 'in_progress', updatedBy: 'bob' })),
    ).toEqual(['task_status_changed→ann']);
    expect(summary(before, task({ assigneeId: 'bob', status: 'done', updatedBy: 'bob' }))).toEqual([
      'task_completed→ann',
    ]);
    expect(summary(before, task({ assigneeId: 'bob', status: 'done', updatedBy: 'cat' }))).toEqual([
      'task_completed→ann',
      'task_completed→bob',
    ]);
    // Creator and assignee are the same person: one notification.
    expect(
      summary(
        task({ assigneeId: 'ann' }),
        task({ assigneeId: 'ann', status: 'done', updatedBy: 'cat' }),
      ),
    ).toEqual(['task_completed→ann']);
  });

  it('gives each person one notification per write, the most important one', () => {
    const before = task({ assigneeId: null, status: 'todo' });
    const after = task({ assigneeId: 'bob', status: 'in_progress', updatedBy: 'cat' });
    expect(summary(before, after)).toEqual(['task_assigned→bob', 'task_status_changed→ann']);
  });

  it('notifies everyone concerned when the server made the change (updatedBy null)', () => {
    expect(
      summary(task({ assigneeId: 'ann' }), task({ assigneeId: null, updatedBy: null })),
    ).toEqual(['task_unassigned→ann']);
  });

  it('stays quiet for edits that change neither assignee nor status, deletes and deleted tasks', () => {
    expect(
      summary(
        task({ assigneeId: 'bob' }),
        task({ assigneeId: 'bob', title: 'Renamed', updatedBy: 'cat' }),
      ),
    ).toEqual([]);
    expect(summary(task({ assigneeId: 'bob' }), null)).toEqual([]);
    expect(
      summary(
        task({ assigneeId: 'bob' }),
        task({ assigneeId: 'cat', deletedAt: 1, updatedBy: 'ann' }),
      ),
    ).toEqual([]);
    expect(
      summary(
        task({ deletedAt: 1 }),
        task({ deletedAt: null, assigneeId: 'cat', updatedBy: 'ann' }),
      ),
    ).toEqual([]);
  });
});
