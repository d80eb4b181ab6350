import { Timestamp, type DocumentSnapshot } from 'firebase-admin/firestore';
import { AppError } from '../../src/core/errors';
import { isAlreadyExists } from '../../src/storage/already-exists';
import { InvalidDocumentError } from '../../src/storage/converter';
import {
  decodeSortCursor,
  decodeTimestampCursor,
  encodeSortCursor,
  encodeTimestampCursor,
} from '../../src/storage/cursor';
import { projectDocSchema, taskDocSchema } from '../../src/storage/documents';
import { projectConverter, taskConverter } from '../../src/storage/refs';

const now = Timestamp.fromMillis(Date.UTC(2026, 2, 9, 8));

/** A snapshot as `Firestore.getAll` answers it, for the converters' `read`. */
function snapshot(path: string, data: Record<string, unknown> | undefined): DocumentSnapshot {
  return {
    ref: { path },
    exists: data !== undefined,
    data: () => data,
  } as unknown as DocumentSnapshot;
}

describe('document schemas', () => {
  it('read the smallest task the rules let a client create, with the missing fields as null/empty', () => {
    const created = {
      title: 'Write the report',
      projectId: 'p1',
      workspaceId: 'w1',
      createdBy: 'ann',
      updatedBy: 'ann',
      status: 'todo',
      priority: 'low',
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    expect(taskDocSchema.parse(created)).toEqual({
      ...created,
      description: '',
      assigneeId: null,
      dueDate: null,
      completedAt: null,
      recurrence: null,
    });
  });

  it('keep the fields a schema does not name (server bookkeeping is never stripped)', () => {
    const stored = taskDocSchema.parse({
      title: 't',
      projectId: 'p1',
      workspaceId: 'w1',
      createdBy: 'ann',
      status: 'done',
      priority: 'high',
      createdAt: now,
      updatedAt: now,
      nextReminderAt: now,
    });
    expect(stored).toMatchObject({ nextReminderAt: now, updatedBy: null });
  });

  it('read a project holding only members and workspace (seeded documents)', () => {
    expect(projectDocSchema.parse({ members: ['ann'], workspaceId: 'w1' })).toEqual({
      name: '',
      ownerId: '',
      members: ['ann'],
      workspaceId: 'w1',
    });
  });

  it('refuse a document of the wrong shape with an error naming the document and the field', () => {
    const bad = snapshot('tasks/t1', { title: 7, status: 'todo' });
    expect(() => taskConverter.read(bad)).toThrow(InvalidDocumentError);
    expect(() => taskConverter.read(bad)).toThrow(/tasks\/t1 is not a valid document: title/);
    expect(projectConverter.read(snapshot('projects/p9', undefined))).toBeUndefined();
  });
});

describe('page cursors', () => {
  it('keep the stored format: base64url JSON of the timestamp parts and the id', () => {
    const raw = encodeTimestampCursor({ seconds: 1, nanoseconds: 2 }, 'a');
    expect(Buffer.from(raw, 'base64url').toString()).toBe('{"v":[1,2],"id":"a"}');
    expect(decodeTimestampCursor(raw)).toEqual({ v: [1, 2], id: 'a' });
    const sorted = encodeSortCursor('dueDate', null, 'b');
    expect(Buffer.from(sorted, 'base64url').toString()).toBe('{"s":"dueDate","v":null,"id":"b"}');
    expect(decodeSortCursor(sorted, 'dueDate')).toEqual({ s: 'dueDate', v: null, id: 'b' });
  });

  it('refuse a cursor of another order, a tampered one, or garbage with a 400 naming cursor', () => {
    const sorted = encodeSortCursor('dueDate', { seconds: 1, nanoseconds: 0 }, 'b');
    for (const attempt of [
      () => decodeSortCursor(sorted, 'createdAt'),
      () => decodeTimestampCursor(Buffer.from('{"v":[1e20,0],"id":"a"}').toString('base64url')),
      () => decodeTimestampCursor(Buffer.from('{"v":[1,2],"id":"a/b"}').toString('base64url')),
      () => decodeTimestampCursor('not json'),
    ]) {
      expect(attempt).toThrow(AppError);
      try {
        attempt();
      } catch (e) {
        expect(JSON.stringify((e as AppError).details)).toContain('cursor');
      }
    }
  });
});

describe('isAlreadyExists', () => {
  it("is Firestore's ALREADY_EXISTS and nothing else", () => {
    expect(isAlreadyExists({ code: 6 })).toBe(true);
    expect(isAlreadyExists({ code: '6' })).toBe(false);
    expect(isAlreadyExists(new Error('6'))).toBe(false);
    expect(isAlreadyExists(null)).toBe(false);
  });
});
