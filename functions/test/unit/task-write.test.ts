import { Timestamp } from 'firebase-admin/firestore';
import { parseStoredTask, parseTaskWrite } from '../../src/domain/tasks/task-write';
import { taskDoc } from '../support/tasks';

const at = new Date('2026-11-23T10:00:00Z');
const write = (before: object | undefined, after: object | undefined) =>
  parseTaskWrite({
    eventId: 'e',
    taskId: 't',
    before: before as Record<string, unknown> | undefined,
    after: after as Record<string, unknown> | undefined,
    occurredAt: at,
  });

describe('parseTaskWrite: one task write, read once for every effect', () => {
  const due = Timestamp.fromMillis(Date.UTC(2026, 10, 25));

  it('reads both sides with the one stored-task schema', () => {
    const w = write(taskDoc({}), taskDoc({ assigneeId: 'bob', dueDate: due, deletedAt: null }));
    expect(w).toMatchObject({
      kind: 'task',
      before: { assigneeId: null, status: 'todo', deleted: false, priority: 'medium' },
      after: { assigneeId: 'bob', dueDate: due, deleted: false },
    });
    expect(write(undefined, taskDoc({}))).toMatchObject({ kind: 'task', before: null });
    expect(write(taskDoc({}), undefined)).toMatchObject({ kind: 'task', after: null });
  });

  it('a change of server bookkeeping only is recognised as such', () => {
    const before = taskDoc({ dueDate: due });
    expect(write(before, { ...before, nextReminderAt: due, reminders: { pending: [60] } })).toEqual(
      {
        kind: 'bookkeeping',
        eventId: 'e',
        taskId: 't',
        occurredAt: at,
        fields: ['nextReminderAt', 'reminders'],
      },
    );
    expect(
      write({ ...before, recurrenceNextAt: due }, { ...before, recurrenceNextAt: null }),
    ).toMatchObject({ kind: 'bookkeeping', fields: ['recurrenceNextAt'] });
    // Any other field with it, or nothing changed at all: a task write.
    expect(write(before, { ...before, reminders: null, status: 'done' }).kind).toBe('task');
    expect(write(before, { ...before }).kind).toBe('task');
    // Equal timestamps are no change.
    expect(
      write(
        { ...before, dueDate: Timestamp.fromMillis(due.toMillis()) },
        { ...before, overdueNotice: 1 },
      ).kind,
    ).toBe('bookkeeping');
  });

  it('a side that is not a task (no project, creator or status) makes the write invalid', () => {
    expect(write(undefined, { title: 'no project' }).kind).toBe('invalid');
    expect(write({ foo: 1 }, taskDoc({})).kind).toBe('invalid');
    expect(
      parseStoredTask({ projectId: 'p', createdBy: 'ann', status: 'todo', updatedBy: 42 }),
    ).toMatchObject({ updatedBy: null, title: '', deleted: false, deletedAt: null });
    expect(
      parseStoredTask({ projectId: 'p', createdBy: 'ann', status: 'todo', deletedAt: due }),
    ).toMatchObject({ deleted: true, deletedAt: due });
  });
});
