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

  it("no write is skipped as the server's own: its bookkeeping lives outside the task", () => {
    const before = taskDoc({ dueDate: due });
    expect(write(before, { ...before, title: 'Ship v2' })).toMatchObject({
      kind: 'task',
      before: { title: 'Ship v1' },
      after: { title: 'Ship v2' },
    });
    // The parsed task names no schedule field (taskSchedules/{taskId} holds them).
    const parsed = parseStoredTask(before);
    expect(parsed).not.toBe('invalid');
    expect(Object.keys(parsed ?? {})).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(nextReminderAt|recurrenceNext)/)]),
    );
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
