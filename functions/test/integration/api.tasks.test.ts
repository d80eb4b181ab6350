import request from 'supertest';
import type { Express } from 'express';
import { FixedClock } from '../../src/core/clock';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
let a: TestUser;
let b: TestUser;
let c: TestUser;
let root: TestUser;
let app: Express;
let projectId: string;

beforeAll(async () => {
  [a, b, c, root] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
  app = createApp(testRuntime(fs.db, { clock }), operations);
});

/** A creates a workspace and a project and adds B to both (B joins the workspace through a platform admin); C stays outside. */
beforeEach(async () => {
  clock.set('2026-11-23T10:00:00Z');
  await Promise.all([a, b, c].map((u) => fs.db.doc(`users/${u.uid}`).set({ email: u.email })));
  const ws = await request(app)
    .post('/api/workspaces')
    .set('Authorization', a.bearer)
    .send({ name: 'Acme' })
    .expect(201);
  await request(app)
    .post(`/api/workspaces/${ws.body.id}/members`)
    .set('Authorization', root.bearer)
    .send({ userId: b.uid })
    .expect(200);
  const project = await request(app)
    .post('/api/projects')
    .set('Authorization', a.bearer)
    .send({ workspaceId: ws.body.id, name: 'Launch' })
    .expect(201);
  projectId = project.body.id;
  await request(app)
    .post(`/api/projects/${projectId}/members`)
    .set('Authorization', a.bearer)
    .send({ userId: b.uid })
    .expect(200);
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

async function create(user: TestUser, body: object) {
  clock.advance(1000);
  const res = await request(app)
    .post('/api/tasks')
    .set('Authorization', user.bearer)
    .send({ projectId, ...body })
    .expect(201);
  return res.body as { id: string } & Record<string, unknown>;
}

function list(user: TestUser, query: Record<string, string | number | boolean>) {
  return request(app).get('/api/tasks').query(query).set('Authorization', user.bearer);
}

describe('task lifecycle over REST', () => {
  it('creates with server times and defaults; members read it, outsiders get 403 even by id', async () => {
    const task = await create(a, {
      title: 'Write docs',
      assigneeId: b.uid,
      dueDate: '2026-12-01T09:00:00+01:00',
    });
    expect(task).toMatchObject({
      title: 'Write docs',
      description: '',
      projectId,
      assigneeId: b.uid,
      createdBy: a.uid,
      updatedBy: a.uid,
      status: 'todo',
      priority: 'medium',
      dueDate: '2026-12-01T08:00:00.000Z',
      completedAt: null,
      deletedAt: null,
      createdAt: '2026-11-23T10:00:01.000Z',
      updatedAt: '2026-11-23T10:00:01.000Z',
    });
    const seen = await request(app)
      .get(`/api/tasks/${task.id}`)
      .set('Authorization', b.bearer)
      .expect(200);
    expect(seen.body).toEqual(task);
    const denied = await request(app)
      .get(`/api/tasks/${task.id}`)
      .set('Authorization', c.bearer)
      .expect(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    for (const [method, path] of [
      ['put', `/api/tasks/${task.id}`],
      ['patch', `/api/tasks/${task.id}`],
      ['patch', `/api/tasks/${task.id}/complete`],
      ['delete', `/api/tasks/${task.id}`],
      ['post', `/api/tasks/${task.id}/restore`],
    ] as const) {
      const body =
        method === 'put'
          ? {
              title: 'x',
              description: '',
              assigneeId: null,
              status: 'todo',
              priority: 'low',
              dueDate: null,
              recurrence: null,
            }
          : method === 'patch' && !path.endsWith('complete')
            ? { title: 'x' }
            : {};
      await request(app)[method](path).set('Authorization', c.bearer).send(body).expect(403);
    }
    await request(app)
      .post('/api/tasks')
      .set('Authorization', c.bearer)
      .send({ projectId, title: 'x' })
      .expect(403);
    await list(c, { projectId }).expect(403);
    await request(app).get('/api/tasks/does-not-exist').set('Authorization', a.bearer).expect(404);
    expect((await fs.db.doc(`tasks/${task.id}`).get()).get('title')).toBe('Write docs');
  });

  it('PUT needs every field, PATCH changes only the given ones; completion follows status', async () => {
    const task = await create(b, { title: 'Ship', priority: 'high' });
    const missing = await request(app)
      .put(`/api/tasks/${task.id}`)
      .set('Authorization', b.bearer)
      .send({ title: 'Ship it' })
      .expect(400);
    expect(missing.body.details.map((d: { field: string }) => d.field)).toEqual(
      expect.arrayContaining([
        'description',
        'status',
        'priority',
        'dueDate',
        'recurrence',
        'assigneeId',
      ]),
    );
    clock.advance(60_000);
    const put = await request(app)
      .put(`/api/tasks/${task.id}`)
      .set('Authorization', b.bearer)
      .send({
        title: 'Ship it',
        description: 'v1',
        assigneeId: a.uid,
        status: 'done',
        priority: 'low',
        dueDate: null,
        recurrence: { rule: 'FREQ=WEEKLY;BYDAY=MO,WE', timezone: 'Europe/Berlin' },
      })
      .expect(200);
    expect(put.body).toMatchObject({
      status: 'done',
      completedAt: '2026-11-23T10:01:01.000Z',
      assigneeId: a.uid,
    });
    const patch = await request(app)
      .patch(`/api/tasks/${task.id}`)
      .set('Authorization', a.bearer)
      .send({ status: 'in_progress' })
      .expect(200);
    expect(patch.body).toMatchObject({
      updatedBy: a.uid,
      status: 'in_progress',
      completedAt: null,
      title: 'Ship it',
      priority: 'low',
    });
    const done = await request(app)
      .patch(`/api/tasks/${task.id}/complete`)
      .set('Authorization', a.bearer)
      .expect(200);
    expect(done.body).toMatchObject({ status: 'done', completedAt: expect.any(String) });
    const undone = await request(app)
      .patch(`/api/tasks/${task.id}/complete`)
      .set('Authorization', a.bearer)
      .expect(200);
    expect(undone.body).toMatchObject({ status: 'todo', completedAt: null });
  });

  it('rejects assignees outside the project (422) and bad fields (400), changing nothing', async () => {
    const assignee = await request(app)
      .post('/api/tasks')
      .set('Authorization', a.bearer)
      .send({ projectId, title: 'x', assigneeId: c.uid })
      .expect(422);
    expect(assignee.body).toMatchObject({
      code: 'UNPROCESSABLE_ENTITY',
      details: [{ field: 'assigneeId' }],
    });
    const cases: [object, string][] = [
      [{ projectId, title: '' }, 'title'],
      [{ projectId, title: 'x'.repeat(201) }, 'title'],
      [{ projectId, title: 'x', description: 'y'.repeat(5001) }, 'description'],
      [{ projectId, title: 'x', status: 'blocked' }, 'status'],
      [{ projectId, title: 'x', priority: 'urgent' }, 'priority'],
      [{ projectId, title: 'x', dueDate: 'tomorrow' }, 'dueDate'],
      [{ projectId, title: 'x', dueDate: '2026-12-01T09:00:00' }, 'dueDate'],
      [
        { projectId, title: 'x', recurrence: { rule: 'EVERY MONDAY', timezone: 'UTC' } },
        'recurrence.rule',
      ],
      [
        { projectId, title: 'x', recurrence: { rule: 'FREQ=DAILY', timezone: 'Mars/Olympus' } },
        'recurrence.timezone',
      ],
      [{ projectId, title: 'x', createdAt: '2020-01-01T00:00:00Z' }, 'createdAt'],
      [{ projectId, title: 'x', completedAt: '2020-01-01T00:00:00Z' }, 'completedAt'],
      [{ title: 'x' }, 'projectId'],
    ];
    for (const [body, field] of cases) {
      const res = await request(app)
        .post('/api/tasks')
        .set('Authorization', a.bearer)
        .send(body)
        .expect(400);
      expect(res.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    }
    const task = await create(a, { title: 'Keep' });
    await request(app)
      .patch(`/api/tasks/${task.id}`)
      .set('Authorization', a.bearer)
      .send({})
      .expect(400);
    await request(app)
      .patch(`/api/tasks/${task.id}`)
      .set('Authorization', a.bearer)
      .send({ assigneeId: c.uid })
      .expect(422);
    expect((await fs.db.collection('tasks').get()).size).toBe(1);
  });

  it('soft delete hides, restore brings back, permanent delete removes for good', async () => {
    const keep = await create(a, { title: 'Keep' });
    const gone = await create(b, { title: 'Gone' });
    await request(app)
      .delete(`/api/tasks/${gone.id}`)
      .set('Authorization', a.bearer)
      .expect(200, { success: true, deleted: 'soft' });
    const visible = await list(a, { projectId }).expect(200);
    expect(visible.body.tasks.map((t: { id: string }) => t.id)).toEqual([keep.id]);
    const withDeleted = await list(a, { projectId, includeDeleted: true }).expect(200);
    expect(withDeleted.body.tasks.map((t: { id: string }) => t.id).sort()).toEqual(
      [keep.id, gone.id].sort(),
    );
    await request(app)
      .patch(`/api/tasks/${gone.id}`)
      .set('Authorization', a.bearer)
      .send({ title: 'x' })
      .expect(400);
    const restored = await request(app)
      .post(`/api/tasks/${gone.id}/restore`)
      .set('Authorization', b.bearer)
      .expect(200);
    expect(restored.body.deletedAt).toBeNull();
    const notDeleted = await request(app)
      .post(`/api/tasks/${gone.id}/restore`)
      .set('Authorization', b.bearer)
      .expect(400);
    expect(notDeleted.body.code).toBe('FAILED_PRECONDITION');
    expect((await list(a, { projectId }).expect(200)).body.tasks).toHaveLength(2);
    // Permanent: creator or project owner only.
    const bTask = await create(a, { title: 'A made it' });
    await request(app)
      .delete(`/api/tasks/${bTask.id}`)
      .query({ permanent: true })
      .set('Authorization', b.bearer)
      .expect(403);
    await request(app)
      .delete(`/api/tasks/${gone.id}`)
      .query({ permanent: 'true' })
      .set('Authorization', b.bearer)
      .expect(200, {
        success: true,
        deleted: 'permanent',
      });
    await request(app).get(`/api/tasks/${gone.id}`).set('Authorization', a.bearer).expect(404);
    expect((await fs.db.doc(`tasks/${gone.id}`).get()).exists).toBe(false);
  });
});

describe('GET /api/tasks filters and pagination', () => {
  it('filters by assignee, status, priority and due range (sorted by due date)', async () => {
    const t1 = await create(a, {
      title: 't1',
      assigneeId: b.uid,
      priority: 'high',
      dueDate: '2026-12-01T00:00:00Z',
    });
    const t2 = await create(a, {
      title: 't2',
      assigneeId: b.uid,
      status: 'done',
      dueDate: '2026-11-25T00:00:00Z',
    });
    const t3 = await create(a, {
      title: 't3',
      assigneeId: a.uid,
      priority: 'high',
      dueDate: '2026-11-24T00:00:00Z',
    });
    const t4 = await create(a, { title: 't4' });
    const ids = (res: request.Response) => res.body.tasks.map((t: { id: string }) => t.id);
    expect(ids(await list(a, { projectId }).expect(200))).toEqual([t4.id, t3.id, t2.id, t1.id]);
    expect(ids(await list(a, { projectId, assigneeId: b.uid }).expect(200))).toEqual([
      t2.id,
      t1.id,
    ]);
    expect(ids(await list(b, { assigneeId: b.uid, status: 'done' }).expect(200))).toEqual([t2.id]);
    expect(
      ids(await list(a, { projectId, priority: 'high', sort: 'dueDate' }).expect(200)),
    ).toEqual([t3.id, t1.id]);
    expect(
      ids(
        await list(a, {
          projectId,
          dueFrom: '2026-11-24T00:00:00Z',
          dueTo: '2026-12-01T00:00:00Z',
        }).expect(200),
      ),
    ).toEqual([t3.id, t2.id]);
    await list(b, { assigneeId: a.uid }).expect(403);
    const none = await list(a, {}).expect(400);
    expect(none.body.details[0].field).toBe('projectId');
    expect((await list(a, { projectId, status: 'blocked' }).expect(400)).body.message).toContain(
      'status',
    );
    expect((await list(a, { projectId, limit: 0 }).expect(400)).body.message).toContain('limit');
    expect((await list(a, { projectId, cursor: 'garbage' }).expect(400)).body.message).toContain(
      'cursor',
    );
  });

  it('returns each task exactly once across pages while tasks are being added', async () => {
    const original: string[] = [];
    for (let i = 0; i < 23; i++)
      original.push((await create(i % 2 ? a : b, { title: `task ${i}` })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await list(b, { projectId, limit: 5, ...(cursor ? { cursor } : {}) }).expect(200);
      seen.push(...res.body.tasks.map((t: { id: string }) => t.id));
      cursor = res.body.nextCursor ?? undefined;
      pages++;
      // Someone adds tasks between page loads; they sort before the cursor (newest first).
      await create(a, { title: `added during page ${pages}` });
    } while (cursor !== undefined);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...original].reverse());
  });

  it('pages by due date with ties and missing due dates, each task once', async () => {
    const due = [
      '2026-12-01T00:00:00Z',
      '2026-12-01T00:00:00Z',
      null,
      '2026-11-30T00:00:00Z',
      null,
      '2026-12-01T00:00:00Z',
    ];
    const made = [];
    for (const [i, d] of due.entries())
      made.push((await create(a, { title: `d${i}`, dueDate: d })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await list(a, {
        projectId,
        sort: 'dueDate',
        limit: 2,
        ...(cursor ? { cursor } : {}),
      }).expect(200);
      seen.push(...res.body.tasks.map((t: { id: string }) => t.id));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen.sort()).toEqual([...made].sort());
    // A cursor from one sort order is refused by the other.
    const first = await list(a, { projectId, sort: 'dueDate', limit: 2 }).expect(200);
    await list(a, { projectId, limit: 2, cursor: first.body.nextCursor }).expect(400);
  });
});
