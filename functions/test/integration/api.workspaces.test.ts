import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fs = createTestFirestore();
let a: TestUser; // creates the workspace
let b: TestUser; // added as member
let c: TestUser; // outsider
let d: TestUser; // another member
let admin: TestUser;
let app: Express;

beforeAll(async () => {
  [a, b, c, d, admin] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
  app = createApp(testRuntime(fs.db), operations);
});
beforeEach(async () => {
  // Profiles exist for every Auth user (the onUserCreated trigger makes them).
  await Promise.all(
    [a, b, c, d, admin].map((u) => fs.db.doc(`users/${u.uid}`).set({ email: u.email })),
  );
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

async function workspaceWith(members: [TestUser, 'admin' | 'member'][] = []) {
  const ws = await request(app)
    .post('/api/workspaces')
    .set('Authorization', a.bearer)
    .send({ name: 'Acme', description: 'Team space' })
    .expect(201);
  // Adding by uid is for platform admins (members invite by email, see invitations tests).
  for (const [user, role] of members) {
    await request(app)
      .post(`/api/workspaces/${ws.body.id}/members`)
      .set('Authorization', admin.bearer)
      .send({ userId: user.uid, role })
      .expect(200);
  }
  return ws.body.id as string;
}

describe('workspaces', () => {
  it('creates a workspace with the creator as owner, readable by members only', async () => {
    const res = await request(app)
      .post('/api/workspaces')
      .set('Authorization', a.bearer)
      .send({ name: '  Acme  ' })
      .expect(201);
    expect(res.body).toMatchObject({
      name: 'Acme',
      description: '',
      ownerId: a.uid,
      members: [a.uid],
      roles: { [a.uid]: 'owner' },
      createdAt: '2026-11-23T10:00:00.000Z',
    });
    await request(app)
      .get(`/api/workspaces/${res.body.id}`)
      .set('Authorization', a.bearer)
      .expect(200);
    await request(app)
      .get(`/api/workspaces/${res.body.id}`)
      .set('Authorization', c.bearer)
      .expect(403);
    await request(app).get('/api/workspaces/nope').set('Authorization', c.bearer).expect(404);
    await request(app)
      .get(`/api/workspaces/${res.body.id}`)
      .set('Authorization', admin.bearer)
      .expect(200);
    const mine = await request(app)
      .get('/api/workspaces')
      .set('Authorization', a.bearer)
      .expect(200);
    expect(mine.body.workspaces.map((w: { id: string }) => w.id)).toEqual([res.body.id]);
    const theirs = await request(app)
      .get('/api/workspaces')
      .set('Authorization', c.bearer)
      .expect(200);
    expect(theirs.body.workspaces).toEqual([]);
  });

  it('is idempotent with a client-chosen id, and refuses to take over someone else’s', async () => {
    const first = await request(app)
      .post('/api/workspaces')
      .set('Authorization', a.bearer)
      .send({ id: 'ws-retry', name: 'Acme' })
      .expect(201);
    const retry = await request(app)
      .post('/api/workspaces')
      .set('Authorization', a.bearer)
      .send({ id: 'ws-retry', name: 'Acme' })
      .expect(201);
    expect(retry.body).toEqual(first.body);
    await request(app)
      .post('/api/workspaces')
      .set('Authorization', c.bearer)
      .send({ id: 'ws-retry', name: 'Mine now' })
      .expect(409);
  });

  it('lets owners and admins manage members; members and outsiders get 403', async () => {
    const ws = await workspaceWith([
      [b, 'admin'],
      [d, 'member'],
    ]);
    // Nobody but a platform admin adds a uid without consent, not even a workspace owner or
    // admin (they invite by email); members and outsiders cannot either.
    await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', b.bearer)
      .send({ userId: c.uid })
      .expect(403);
    await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', a.bearer)
      .send({ userId: c.uid })
      .expect(403);
    await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', admin.bearer)
      .send({ userId: c.uid })
      .expect(200);
    await request(app)
      .delete(`/api/workspaces/${ws}/members/${c.uid}`)
      .set('Authorization', d.bearer)
      .expect(403);
    await request(app)
      .delete(`/api/workspaces/${ws}/members/${c.uid}`)
      .set('Authorization', b.bearer)
      .expect(200);
    await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', d.bearer)
      .send({ userId: c.uid })
      .expect(403);
    await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', c.bearer)
      .send({ userId: c.uid })
      .expect(403);
    // Only an owner grants owner; an admin cannot demote the owner.
    await request(app)
      .put(`/api/workspaces/${ws}/members/${d.uid}`)
      .set('Authorization', b.bearer)
      .send({ role: 'owner' })
      .expect(403);
    await request(app)
      .put(`/api/workspaces/${ws}/members/${a.uid}`)
      .set('Authorization', b.bearer)
      .send({ role: 'member' })
      .expect(403);
    const promoted = await request(app)
      .put(`/api/workspaces/${ws}/members/${d.uid}`)
      .set('Authorization', a.bearer)
      .send({ role: 'admin' })
      .expect(200);
    expect(promoted.body.roles[d.uid]).toBe('admin');
  });

  it('rejects unknown users (422), duplicate adds with another role (409) and bad roles (400)', async () => {
    const ws = await workspaceWith([[b, 'member']]);
    const unknown = await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', admin.bearer)
      .send({ userId: 'no-such-user' })
      .expect(422);
    expect(unknown.body).toMatchObject({
      code: 'UNPROCESSABLE_ENTITY',
      details: [{ field: 'userId' }],
    });
    await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', admin.bearer)
      .send({ userId: b.uid, role: 'member' })
      .expect(200);
    await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', admin.bearer)
      .send({ userId: b.uid, role: 'admin' })
      .expect(409);
    const bad = await request(app)
      .post(`/api/workspaces/${ws}/members`)
      .set('Authorization', admin.bearer)
      .send({ userId: b.uid, role: 'superuser' })
      .expect(400);
    expect(bad.body.message).toContain('role');
    const stored = (await fs.db.doc(`workspaces/${ws}`).get()).data();
    expect(stored?.members).toEqual([a.uid, b.uid]);
  });

  it('never lets the last owner leave or be demoted', async () => {
    const ws = await workspaceWith([[b, 'member']]);
    const leave = await request(app)
      .delete(`/api/workspaces/${ws}/members/${a.uid}`)
      .set('Authorization', a.bearer)
      .expect(422);
    expect(leave.body.message).toContain('last owner');
    await request(app)
      .put(`/api/workspaces/${ws}/members/${a.uid}`)
      .set('Authorization', a.bearer)
      .send({ role: 'admin' })
      .expect(422);
    // With a second owner, the first may leave.
    await request(app)
      .put(`/api/workspaces/${ws}/members/${b.uid}`)
      .set('Authorization', a.bearer)
      .send({ role: 'owner' })
      .expect(200);
    await request(app)
      .delete(`/api/workspaces/${ws}/members/${a.uid}`)
      .set('Authorization', a.bearer)
      .expect(200);
    const stored = (await fs.db.doc(`workspaces/${ws}`).get()).data();
    expect(stored?.members).toEqual([b.uid]);
    expect(stored?.roles).toEqual({ [b.uid]: 'owner' });
  });

  it('removing a member takes them off the workspace projects and unassigns their tasks', async () => {
    const ws = await workspaceWith([[b, 'member']]);
    const project = await request(app)
      .post('/api/projects')
      .set('Authorization', a.bearer)
      .send({ workspaceId: ws, name: 'Launch', members: [b.uid] })
      .expect(201);
    const task = await request(app)
      .post('/api/tasks')
      .set('Authorization', a.bearer)
      .send({ projectId: project.body.id, title: 'Write docs', assigneeId: b.uid })
      .expect(201);
    await request(app)
      .delete(`/api/workspaces/${ws}/members/${b.uid}`)
      .set('Authorization', b.bearer)
      .expect(200);
    expect((await fs.db.doc(`projects/${project.body.id}`).get()).get('members')).toEqual([a.uid]);
    expect((await fs.db.doc(`tasks/${task.body.id}`).get()).get('assigneeId')).toBeNull();
    await request(app).get(`/api/tasks/${task.body.id}`).set('Authorization', b.bearer).expect(403);
  });
});

describe('projects', () => {
  it('creates a project for workspace members; members must be in the workspace', async () => {
    const ws = await workspaceWith([[b, 'member']]);
    const bad = await request(app)
      .post('/api/projects')
      .set('Authorization', a.bearer)
      .send({ workspaceId: ws, name: 'Launch', members: [b.uid, c.uid] })
      .expect(422);
    expect(bad.body.details).toEqual([
      { field: 'members.1', message: 'not a member of the workspace' },
    ]);
    await request(app)
      .post('/api/projects')
      .set('Authorization', c.bearer)
      .send({ workspaceId: ws, name: 'X' })
      .expect(403);
    await request(app)
      .post('/api/projects')
      .set('Authorization', a.bearer)
      .send({ workspaceId: 'nope', name: 'X' })
      .expect(404);
    const ok = await request(app)
      .post('/api/projects')
      .set('Authorization', b.bearer)
      .send({ workspaceId: ws, name: 'B’s project' })
      .expect(201);
    expect(ok.body).toMatchObject({ ownerId: b.uid, members: [b.uid], workspaceId: ws });
    expect((await fs.db.collection('projects').get()).size).toBe(1);
  });

  it('adds and removes project members with the right authority', async () => {
    const ws = await workspaceWith([
      [b, 'member'],
      [d, 'member'],
    ]);
    const p = (
      await request(app)
        .post('/api/projects')
        .set('Authorization', b.bearer)
        .send({ workspaceId: ws, name: 'P' })
        .expect(201)
    ).body.id as string;
    // d (plain workspace member, not owner of p) cannot add; b (project owner) and a (ws owner) can.
    await request(app)
      .post(`/api/projects/${p}/members`)
      .set('Authorization', d.bearer)
      .send({ userId: d.uid })
      .expect(403);
    await request(app)
      .post(`/api/projects/${p}/members`)
      .set('Authorization', b.bearer)
      .send({ userId: d.uid })
      .expect(200);
    const outsider = await request(app)
      .post(`/api/projects/${p}/members`)
      .set('Authorization', a.bearer)
      .send({ userId: c.uid })
      .expect(422);
    expect(outsider.body.details[0].field).toBe('userId');
    const list = await request(app)
      .get('/api/projects')
      .query({ workspaceId: ws })
      .set('Authorization', d.bearer)
      .expect(200);
    expect(list.body.projects.map((x: { id: string }) => x.id)).toEqual([p]);
    await request(app).get(`/api/projects/${p}`).set('Authorization', c.bearer).expect(403);
    // The owner stays; a member may leave; removing again is a no-op.
    await request(app)
      .delete(`/api/projects/${p}/members/${b.uid}`)
      .set('Authorization', a.bearer)
      .expect(422);
    const left = await request(app)
      .delete(`/api/projects/${p}/members/${d.uid}`)
      .set('Authorization', d.bearer)
      .expect(200);
    expect(left.body).toEqual({ success: true, removed: true, tasksUnassigned: 0 });
    const again = await request(app)
      .delete(`/api/projects/${p}/members/${d.uid}`)
      .set('Authorization', b.bearer)
      .expect(200);
    expect(again.body.removed).toBe(false);
  });
});
