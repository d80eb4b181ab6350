import functionsTest from 'firebase-functions-test';
import request from 'supertest';
import type { Express } from 'express';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { searchTasks as searchTasksCallable } from '../../src';
import { onTaskWritten } from '../../src/functions/task.triggers';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { indexTaskForSearch } from '../../src/domain/search/task-search.service';
import { createTestUser, type TestUser } from '../support/auth';
import { callableRequest as as, httpsErrorCode as codeOf } from '../support/callable';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';
import { taskDoc } from '../support/tasks';
import { TASK_SEARCH } from '../../src/storage/collections';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
const runtime = testRuntime(fs.db, { clock });
let app: Express;
let ann: TestUser;
let bob: TestUser;

beforeAll(async () => {
  setRuntimeForTesting(runtime);
  app = createApp(runtime, operations);
  [ann, bob] = await Promise.all([createTestUser(), createTestUser()]);
});

/** Ann is in p1 and p2 (workspace w1); Bob only in p3 (workspace w2). */
beforeEach(async () => {
  const project = (members: string[], workspaceId: string) => ({
    name: 'P',
    workspaceId,
    ownerId: members[0],
    members,
    createdAt: new Date('2026-10-01T00:00:00Z'),
  });
  await Promise.all([
    fs.db.doc('projects/p1').set(project([ann.uid], 'w1')),
    fs.db.doc('projects/p2').set(project([ann.uid], 'w1')),
    fs.db.doc('projects/p3').set(project([bob.uid], 'w2')),
  ]);
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

let updated = 0;

/** Writes a task (as the API or the SDK would) and indexes it as the trigger does. */
async function put(id: string, over: Record<string, unknown>): Promise<void> {
  const ref = fs.db.doc(`tasks/${id}`);
  const before = (await ref.get()).data();
  updated += 1;
  const after = taskDoc({
    createdAt: new Date('2026-11-01T00:00:00Z'),
    updatedAt: new Date(Date.UTC(2026, 10, 1, 0, 0, updated)),
    ...over,
  });
  await ref.set(after);
  await indexTaskForSearch(fs.db, clock, { taskId: id, before, after: (await ref.get()).data() });
}

function search(user: TestUser, query: Record<string, string>) {
  return request(app).get('/api/tasks/search').query(query).set('Authorization', user.bearer);
}

async function found(user: TestUser, query: Record<string, string>): Promise<string[]> {
  const res = await search(user, query).expect(200);
  return (res.body as { tasks: { id: string }[] }).tasks.map((t) => t.id);
}

describe('task search', () => {
  beforeEach(async () => {
    await put('t-quebec', { title: 'Prepare the Québec offsite', description: 'Book HOTELS' });
    await put('t-report', { title: 'Quarterly report', projectId: 'p2' });
    await put('t-bob', { title: 'Quebec visa', projectId: 'p3', workspaceId: 'w2' });
    await put('t-deleted', { title: 'Quebec draft', deletedAt: new Date('2026-11-02T00:00:00Z') });
  });

  it('finds tasks by word prefixes, case and accents ignored, across the caller’s projects', async () => {
    expect(await found(ann, { q: 'QUEB' })).toEqual(['t-quebec']);
    expect(await found(ann, { q: 'québec' })).toEqual(['t-quebec']);
    expect(await found(ann, { q: 'hotel' })).toEqual(['t-quebec']);
    expect(await found(ann, { q: 'qu' })).toEqual(['t-report', 't-quebec']);
  });

  it('needs every word of the query', async () => {
    expect(await found(ann, { q: 'prep offs' })).toEqual(['t-quebec']);
    expect(await found(ann, { q: 'prep report' })).toEqual([]);
  });

  it('searches one project when asked, and only a project the caller is a member of', async () => {
    expect(await found(ann, { q: 'qu', projectId: 'p2' })).toEqual(['t-report']);
    await search(bob, { q: 'qu', projectId: 'p1' }).expect(403);
    await search(ann, { q: 'qu', projectId: 'nope' }).expect(404);
  });

  it('never shows another member’s projects or soft-deleted tasks', async () => {
    expect(await found(bob, { q: 'quebec' })).toEqual(['t-bob']);
    expect(await found(ann, { q: 'draft' })).toEqual([]);
  });

  it('follows edits: a renamed task is found by its new words only', async () => {
    await put('t-report', { title: 'Annual budget', projectId: 'p2' });
    expect(await found(ann, { q: 'quarterly' })).toEqual([]);
    expect(await found(ann, { q: 'budg' })).toEqual(['t-report']);
  });

  it('rejects a query with no word of two characters, naming the field', async () => {
    const res = await search(ann, { q: 'a !' }).expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR', details: [{ field: 'q' }] });
    await search(ann, { q: '' }).expect(400);
  });

  it('is a callable too, with the same answers and errors', async () => {
    const res = (await fft.wrap(searchTasksCallable)(as(ann, { q: 'Queb' }))) as {
      tasks: { id: string }[];
    };
    expect(res.tasks.map((t) => t.id)).toEqual(['t-quebec']);
    expect(await codeOf(fft.wrap(searchTasksCallable)(as(bob, { q: 'qu', projectId: 'p1' })))).toBe(
      'permission-denied',
    );
    expect(await codeOf(fft.wrap(searchTasksCallable)(as(ann, { q: 'x' })))).toBe(
      'invalid-argument',
    );
  });
});

describe('search index upkeep (the task trigger)', () => {
  function event(id: string, before: object | null, after: object | null) {
    const path = 'tasks/t1';
    const snap = (data: object | null) =>
      data
        ? fft.firestore.makeDocumentSnapshot(data, path)
        : fft.firestore.makeDocumentSnapshot({}, '');
    return {
      id,
      params: { taskId: 't1' },
      data: fft.makeChange(snap(before), snap(after)),
    } as never;
  }

  it('onTaskWritten writes the tokens to taskSearch/{id}, never into the task', async () => {
    const task = taskDoc({ title: 'Ship the Café menu' });
    await fs.db.doc('tasks/t1').set(task);
    await fft.wrap(onTaskWritten)(event('e1', null, task));
    const stored = (await fs.db.doc(`${TASK_SEARCH}/t1`).get()).data();
    expect(stored).toMatchObject({ projectId: 'p1', deleted: false, assigneeId: null });
    expect(stored?.tokens).toEqual(expect.arrayContaining(['sh', 'ship', 'ca', 'cafe', 'menu']));
    expect((await fs.db.doc('tasks/t1').get()).data()).toEqual(task);
  });

  it('a redelivered event leaves the same document; a write not touching the text does nothing', async () => {
    const task = taskDoc({ title: 'Ship' });
    await fs.db.doc('tasks/t1').set(task);
    await indexTaskForSearch(fs.db, clock, { taskId: 't1', before: undefined, after: task });
    const first = (await fs.db.doc(`${TASK_SEARCH}/t1`).get()).data();
    clock.advance(60_000);
    await indexTaskForSearch(fs.db, clock, { taskId: 't1', before: undefined, after: task });
    const second = (await fs.db.doc(`${TASK_SEARCH}/t1`).get()).data();
    expect(second?.tokens).toEqual(first?.tokens);
    const done = { ...task, status: 'done' };
    await expect(
      indexTaskForSearch(fs.db, clock, { taskId: 't1', before: task, after: done }),
    ).resolves.toBe('unchanged');
  });

  it('a late event converges on the task as it is now, not on the event’s copy', async () => {
    const old = taskDoc({ title: 'Old name' });
    const now = taskDoc({ title: 'New name' });
    await fs.db.doc('tasks/t1').set(now);
    await indexTaskForSearch(fs.db, clock, { taskId: 't1', before: undefined, after: old });
    const stored = (await fs.db.doc(`${TASK_SEARCH}/t1`).get()).data();
    expect(stored?.tokens).toContain('new');
    expect(stored?.tokens).not.toContain('old');
  });

  it('a hard delete removes the search document; soft delete marks it', async () => {
    const task = taskDoc({ title: 'Ship' });
    await fs.db.doc('tasks/t1').set(task);
    await indexTaskForSearch(fs.db, clock, { taskId: 't1', before: undefined, after: task });
    const deleted = { ...task, deletedAt: new Date() };
    await fs.db.doc('tasks/t1').set(deleted);
    await indexTaskForSearch(fs.db, clock, { taskId: 't1', before: task, after: deleted });
    expect((await fs.db.doc(`${TASK_SEARCH}/t1`).get()).get('deleted')).toBe(true);
    await fs.db.doc('tasks/t1').delete();
    await expect(
      indexTaskForSearch(fs.db, clock, { taskId: 't1', before: deleted, after: undefined }),
    ).resolves.toBe('removed');
    expect((await fs.db.doc(`${TASK_SEARCH}/t1`).get()).exists).toBe(false);
  });
});
