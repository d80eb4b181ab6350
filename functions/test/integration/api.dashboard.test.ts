import functionsTest from 'firebase-functions-test';
import request from 'supertest';
import type { Express } from 'express';
import { Timestamp } from 'firebase-admin/firestore';
import { getDashboardStats } from '../../src';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { countReads, type ReadCounter } from '../support/firestore-reads';
import { testRuntime } from '../support/runtime';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const db = fs.db;
const NOW = '2026-11-23T10:00:00.000Z';
const clock = new FixedClock(NOW);
const runtime = testRuntime(db, { clock });
let alice: TestUser; // owns workspace W; member of P1 and P2
let bob: TestUser; // plain member of W; member of P1 and P3
let carol: TestUser; // outsider
let admin: TestUser; // platform admin, member of nothing
let app: Express;
let reads: ReadCounter;

const at = (ms: number) => Timestamp.fromMillis(Date.parse(NOW) + ms);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface TaskSeed {
  project: 'P1' | 'P2' | 'P3';
  assignee: TestUser | null;
  status: 'todo' | 'in_progress' | 'done';
  priority: 'low' | 'medium' | 'high';
  due: Timestamp | null;
  deleted?: boolean;
}

/** The fixture; the comments say how each task counts at NOW. */
function tasks(): Record<string, TaskSeed> {
  return {
    t1: { project: 'P1', assignee: alice, status: 'todo', priority: 'high', due: at(-1) }, // overdue by 1 ms
    t2: { project: 'P1', assignee: alice, status: 'in_progress', priority: 'medium', due: at(0) }, // due exactly now: not yet
    t3: { project: 'P1', assignee: alice, status: 'done', priority: 'low', due: at(-DAY) }, // done: never overdue
    t4: { project: 'P1', assignee: alice, status: 'todo', priority: 'medium', due: null }, // no due date
    t5: {
      project: 'P1',
      assignee: alice,
      status: 'todo',
      priority: 'high',
      due: at(-DAY),
      deleted: true, // soft-deleted: not counted anywhere
    },
    t6: { project: 'P1', assignee: bob, status: 'in_progress', priority: 'low', due: at(-DAY) },
    t7: { project: 'P1', assignee: null, status: 'todo', priority: 'medium', due: at(DAY) },
    t8: { project: 'P2', assignee: alice, status: 'todo', priority: 'low', due: at(-HOUR) },
    t9: { project: 'P2', assignee: alice, status: 'done', priority: 'high', due: null },
    t10: { project: 'P3', assignee: bob, status: 'todo', priority: 'high', due: at(-DAY) },
  };
}

beforeAll(async () => {
  [alice, bob, carol, admin] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
  app = createApp(runtime, operations);
  setRuntimeForTesting(runtime);
});

beforeEach(async () => {
  clock.set(NOW);
  const batch = db.batch();
  const created = at(-30 * DAY);
  batch.set(db.doc('workspaces/W'), {
    name: 'Acme',
    description: '',
    ownerId: alice.uid,
    members: [alice.uid, bob.uid],
    roles: { [alice.uid]: 'owner', [bob.uid]: 'member' },
    createdAt: created,
    updatedAt: created,
  });
  const projects = {
    P1: { name: 'Launch', members: [alice.uid, bob.uid], createdAt: at(-20 * DAY) },
    P2: { name: 'Billing', members: [alice.uid], createdAt: at(-10 * DAY) },
    P3: { name: 'Research', members: [bob.uid], createdAt: at(-5 * DAY) },
  };
  for (const [id, p] of Object.entries(projects)) {
    batch.set(db.doc(`projects/${id}`), {
      ...p,
      description: '',
      workspaceId: 'W',
      ownerId: p.members[0],
      updatedAt: p.createdAt,
    });
  }
  for (const [id, t] of Object.entries(tasks())) {
    batch.set(db.doc(`tasks/${id}`), {
      title: id,
      description: '',
      projectId: t.project,
      workspaceId: 'W',
      assigneeId: t.assignee?.uid ?? null,
      createdBy: alice.uid,
      updatedBy: alice.uid,
      status: t.status,
      priority: t.priority,
      dueDate: t.due,
      completedAt: t.status === 'done' ? created : null,
      recurrence: null,
      deletedAt: t.deleted === true ? created : null,
      createdAt: created,
      updatedAt: created,
    });
  }
  await batch.commit();
  reads = countReads(db);
});
afterEach(async () => {
  reads.restore();
  await fs.clear();
});
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

function stats(user: TestUser | null, query: Record<string, string | number> = {}) {
  const req = request(app).get('/api/dashboard/stats').query(query);
  return user === null ? req : req.set('Authorization', user.bearer);
}

describe('GET /api/dashboard/stats', () => {
  it("scope me: the caller's tasks, by priority and per project they belong to", async () => {
    const res = await stats(alice).expect(200);
    expect(res.body).toEqual({
      scope: { type: 'me', userId: alice.uid },
      // t1 t2 t3 t4 t8 t9 (t5 is soft-deleted); done: t3 t9; overdue: t1 t8.
      totals: { total: 6, completed: 2, pending: 4, overdue: 2 },
      byPriority: { low: 2, medium: 2, high: 2 },
      byProject: [
        { projectId: 'P2', name: 'Billing', total: 2, completed: 1, pending: 1, overdue: 1 },
        { projectId: 'P1', name: 'Launch', total: 4, completed: 1, pending: 3, overdue: 1 },
      ],
      byProjectTruncated: false,
      generatedAt: NOW,
    });
  });

  it('counts a task due exactly now as not overdue, and overdue one millisecond later', async () => {
    const before = await stats(alice, { projectId: 'P1' }).expect(200);
    expect(before.body.totals.overdue).toBe(2); // t1 (1 ms late) and t6
    clock.advance(1);
    const after = await stats(alice, { projectId: 'P1' }).expect(200);
    expect(after.body.totals.overdue).toBe(3); // t2 is now due 1 ms ago
    expect(after.body.generatedAt).toBe('2026-11-23T10:00:00.001Z');
  });

  it('scope project: every task of the project, for its members', async () => {
    const res = await stats(bob, { projectId: 'P1' }).expect(200);
    expect(res.body).toMatchObject({
      scope: { type: 'project', projectId: 'P1', name: 'Launch' },
      totals: { total: 6, completed: 1, pending: 5, overdue: 2 },
      byPriority: { low: 2, medium: 3, high: 1 },
      byProject: [
        { projectId: 'P1', name: 'Launch', total: 6, completed: 1, pending: 5, overdue: 2 },
      ],
      byProjectTruncated: false,
    });
  });

  it('scope workspace: all its tasks; owners see every project, plain members their own', async () => {
    const owner = await stats(alice, { workspaceId: 'W' }).expect(200);
    expect(owner.body).toMatchObject({
      scope: { type: 'workspace', workspaceId: 'W', name: 'Acme' },
      totals: { total: 9, completed: 2, pending: 7, overdue: 4 },
      byPriority: { low: 3, medium: 3, high: 3 },
    });
    expect(owner.body.byProject).toEqual([
      { projectId: 'P2', name: 'Billing', total: 2, completed: 1, pending: 1, overdue: 1 },
      { projectId: 'P1', name: 'Launch', total: 6, completed: 1, pending: 5, overdue: 2 },
      { projectId: 'P3', name: 'Research', total: 1, completed: 0, pending: 1, overdue: 1 },
    ]);
    const member = await stats(bob, { workspaceId: 'W' }).expect(200);
    expect(member.body.totals).toEqual(owner.body.totals);
    expect(member.body.byProject.map((p: { projectId: string }) => p.projectId)).toEqual([
      'P1',
      'P3',
    ]);
  });

  it('leaves out soft-deleted tasks everywhere', async () => {
    await db.doc('tasks/t1').update({ deletedAt: at(-1) });
    const res = await stats(alice).expect(200);
    expect(res.body.totals).toEqual({ total: 5, completed: 2, pending: 3, overdue: 1 });
    expect(res.body.byPriority.high).toBe(1);
  });

  it('lists at most projectLimit projects (newest first for "me") and says so', async () => {
    const res = await stats(alice, { projectLimit: 1 }).expect(200);
    expect(res.body.byProject.map((p: { projectId: string }) => p.projectId)).toEqual(['P2']);
    expect(res.body.byProjectTruncated).toBe(true);
    const none = await stats(alice, { projectLimit: 0 }).expect(200);
    expect(none.body.byProject).toEqual([]);
    expect(none.body.byProjectTruncated).toBe(true);
    expect(none.body.totals.total).toBe(6);
  });

  it('answers 403 to non-members, 404 for what does not exist, and lets an admin look', async () => {
    expect((await stats(carol, { projectId: 'P1' }).expect(403)).body.code).toBe(
      'PERMISSION_DENIED',
    );
    await stats(carol, { workspaceId: 'W' }).expect(403);
    await stats(alice, { projectId: 'P3' }).expect(403); // in her workspace, not her project
    await stats(alice, { projectId: 'nope' }).expect(404);
    await stats(alice, { workspaceId: 'nope' }).expect(404);
    const asAdmin = await stats(admin, { workspaceId: 'W' }).expect(200);
    expect(asAdmin.body.byProject).toHaveLength(3);
    await stats(null).expect(401);
  });

  it('rejects projectId with workspaceId, and bad values, naming the field', async () => {
    const both = await stats(alice, { projectId: 'P1', workspaceId: 'W' }).expect(400);
    expect(both.body).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(both.body.message).toMatch(/^workspaceId: /);
    const tooMany = await stats(alice, { projectLimit: 51 }).expect(400);
    expect(tooMany.body.message).toMatch(/^projectLimit: /);
    const unknown = await stats(alice, { scope: 'all' }).expect(400);
    expect(unknown.body.details).toEqual([expect.objectContaining({ field: 'scope' })]);
  });

  it('reads no task document: count() aggregations only (6 + 3 per listed project)', async () => {
    await stats(alice).expect(200);
    expect(reads.log.documents.tasks).toBeUndefined();
    expect(reads.log.aggregations).toEqual({ tasks: 6 + 3 * 2 });
    expect(reads.log.documents).toEqual({ projects: 2 });

    reads.reset();
    await stats(alice, { workspaceId: 'W' }).expect(200);
    expect(reads.log.aggregations).toEqual({ tasks: 6 + 3 * 3 });
    expect(reads.log.documents).toEqual({ workspaces: 1, projects: 3 });

    reads.reset();
    await stats(alice, { projectId: 'P1' }).expect(200);
    expect(reads.log.aggregations).toEqual({ tasks: 6 });
    expect(reads.log.documents).toEqual({ projects: 1 });
  });

  it('keeps the cost bounded however many tasks there are', async () => {
    const batch = db.batch();
    for (let i = 0; i < 300; i++) {
      batch.set(db.doc(`tasks/bulk-${i}`), {
        projectId: 'P2',
        workspaceId: 'W',
        assigneeId: alice.uid,
        createdBy: alice.uid,
        status: i % 3 === 0 ? 'done' : 'todo',
        priority: 'low',
        dueDate: i % 2 === 0 ? at(-DAY) : at(DAY),
        deletedAt: null,
      });
    }
    await batch.commit();
    reads.reset();
    const res = await stats(alice).expect(200);
    expect(res.body.totals).toEqual({ total: 306, completed: 102, pending: 204, overdue: 102 });
    expect(reads.log.aggregations).toEqual({ tasks: 12 });
    expect(reads.log.documents.tasks).toBeUndefined();
  });
});

describe('getDashboardStats callable', () => {
  const as = (user: TestUser, data: unknown) =>
    ({
      data,
      auth: { uid: user.uid, token: { uid: user.uid, email: user.email } },
      rawRequest: { header: () => undefined },
    }) as never;

  it('answers what the REST route answers', async () => {
    const viaCallable = await fft.wrap(getDashboardStats)(as(bob, { workspaceId: 'W' }));
    const viaRest = await stats(bob, { workspaceId: 'W' }).expect(200);
    expect(viaCallable).toEqual(viaRest.body);
  });

  it('fails with permission-denied for a non-member and invalid-argument for both scopes', async () => {
    await expect(fft.wrap(getDashboardStats)(as(carol, { projectId: 'P1' }))).rejects.toMatchObject(
      { code: 'permission-denied' },
    );
    await expect(
      fft.wrap(getDashboardStats)(as(alice, { projectId: 'P1', workspaceId: 'W' })),
    ).rejects.toMatchObject({ code: 'invalid-argument', details: { code: 'VALIDATION_ERROR' } });
  });
});

describe('the read counter (test/support/firestore-reads.ts)', () => {
  it('sees document gets, queries, transactional reads and aggregations', async () => {
    await db.doc('projects/P1').get();
    await db.collection('tasks').where('projectId', '==', 'P1').get();
    await db.collection('tasks').count().get();
    await db.runTransaction(async (tx) => {
      await tx.get(db.doc('workspaces/W'));
      await tx.get(db.collection('projects').limit(2));
      await tx.get(db.collection('tasks').where('priority', '==', 'high').count());
    });
    expect(reads.log).toEqual({
      documents: { projects: 3, tasks: 7, workspaces: 1 },
      queries: { tasks: 3, projects: 1 },
      aggregations: { tasks: 2 },
      maxDocumentsPerQuery: 7,
    });
  });
});
