import { Timestamp } from 'firebase-admin/firestore';
import request from 'supertest';
import type { Express } from 'express';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';
import { taskDoc } from '../support/tasks';

/**
 * Client input that used to reach Firestore or the output check and come back as a 500: every one
 * of these is a 4xx naming what is wrong, with nothing written.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the seed is a CommonJS script
const { demoDocuments } = require('../../scripts/seed-demo.cjs') as {
  demoDocuments: (
    users: { uid: string; role: string }[],
    ts: typeof Timestamp,
  ) => Record<string, Record<string, unknown>>;
};

const fs = createTestFirestore();
let ann: TestUser;
let out: TestUser; // an outsider
let app: Express;
let bigBodies: Express; // the production body limit (100 KiB)

const at = Timestamp.fromDate(new Date('2026-11-20T10:00:00Z'));

beforeAll(async () => {
  [ann, out] = await Promise.all([createTestUser(), createTestUser()]);
  app = createApp(testRuntime(fs.db), operations);
  bigBodies = createApp(testRuntime(fs.db, { config: { bodyLimitBytes: 100 * 1024 } }), operations);
});
beforeEach(async () => {
  await Promise.all([ann, out].map((u) => fs.db.doc(`users/${u.uid}`).set({ email: u.email })));
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const snapshot = () => fs.dump();

describe('reads tolerate every document a client may write', () => {
  it('answers workspaces and projects without updatedAt (as the demo seed wrote them)', async () => {
    await fs.db.doc('workspaces/w1').set({
      name: 'W',
      description: 'd',
      ownerId: ann.uid,
      members: [ann.uid],
      roles: { [ann.uid]: 'owner' },
      createdAt: at,
    });
    // firestore.rules let an admin edit remove the optional description.
    await fs.db.doc('projects/p1').set({
      name: 'P',
      workspaceId: 'w1',
      ownerId: ann.uid,
      members: [ann.uid],
      createdAt: at,
    });
    const ws = await request(app).get('/api/workspaces').set('Authorization', ann.bearer);
    expect(ws.status).toBe(200);
    expect(ws.body.workspaces[0]).toMatchObject({ id: 'w1', updatedAt: at.toDate().toISOString() });
    await request(app).get('/api/workspaces/w1').set('Authorization', ann.bearer).expect(200);
    const p = await request(app).get('/api/projects/p1').set('Authorization', ann.bearer);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ description: '', updatedAt: at.toDate().toISOString() });
    await request(app)
      .get('/api/projects?workspaceId=w1')
      .set('Authorization', ann.bearer)
      .expect(200);
  });

  it('the demo seed writes what the model says: its documents read back through the API', async () => {
    const docs = demoDocuments([{ uid: ann.uid, role: 'owner' }], Timestamp);
    await Promise.all(Object.entries(docs).map(([path, data]) => fs.db.doc(path).set(data)));
    for (const path of [
      '/api/workspaces',
      '/api/workspaces/demo-workspace',
      '/api/projects/demo-project',
      '/api/projects?workspaceId=demo-workspace',
      '/api/tasks?projectId=demo-project',
    ]) {
      const res = await request(app).get(path).set('Authorization', ann.bearer);
      expect([path, res.status]).toEqual([path, 200]);
    }
  });
});

describe('tampered cursors and out-of-range dates are 400s', () => {
  beforeEach(async () => {
    await fs.db.doc('projects/p1').set({
      name: 'P',
      description: '',
      workspaceId: 'w1',
      ownerId: ann.uid,
      members: [ann.uid],
      createdAt: at,
      updatedAt: at,
    });
    await fs.db.doc('tasks/t1').set({ ...taskDoc({ createdBy: ann.uid }), createdAt: at });
  });

  const tampered = [
    { v: [1e15, 0], id: 'x' },
    { v: [-1e15, 0], id: 'x' },
    { v: [1, 1e9], id: 'x' },
    { v: [1, -1], id: 'x' },
    { v: [1, 0], id: 'a/b' },
    { v: [1, 0], id: '..' },
    { v: [1, 0], id: '' },
    { v: [1, 0], id: '__x__' },
  ];

  it.each(tampered)('task list cursor %j', async (c) => {
    const res = await request(app)
      .get(`/api/tasks?projectId=p1&cursor=${b64({ s: 'createdAt', ...c })}`)
      .set('Authorization', ann.bearer);
    expect([res.status, res.body.details?.[0]?.field]).toEqual([400, 'cursor']);
  });

  it.each(tampered)('notification and scheduled-job cursors %j', async (c) => {
    const inbox = await request(app)
      .get(`/api/notifications?cursor=${b64(c)}`)
      .set('Authorization', ann.bearer);
    expect([inbox.status, inbox.body.details?.[0]?.field]).toEqual([400, 'cursor']);
  });

  it.each(['0000-01-01T00:00:00Z', '10000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z'])(
    'a date outside 0001–9999 (%s) is a 400 naming the field',
    async (date) => {
      const res = await request(app)
        .get(`/api/tasks?projectId=p1&dueFrom=${encodeURIComponent(date)}`)
        .set('Authorization', ann.bearer);
      expect([res.status, res.body.details?.[0]?.field]).toEqual([400, 'dueFrom']);
    },
  );
});

describe('ids Firestore would refuse are 400s', () => {
  it.each(['__x__', '____', '.', '..', 'a'.repeat(1501), 'é'.repeat(800)])(
    'path id %s',
    async (id) => {
      for (const path of [
        `/api/workspaces/${encodeURIComponent(id)}`,
        `/api/projects/${encodeURIComponent(id)}`,
        `/api/tasks/${encodeURIComponent(id)}`,
      ]) {
        const res = await request(app).get(path).set('Authorization', ann.bearer);
        expect([path, res.status]).toEqual([path, 400]);
      }
    },
  );

  it.each(['..', '.', '__x__'])('deviceId %s', async (deviceId) => {
    const before = await snapshot();
    const res = await request(app)
      .post(`/api/users/${ann.uid}/devices`)
      .set('Authorization', ann.bearer)
      .send({ token: 'f'.repeat(40), platform: 'android', deviceId });
    expect([res.status, res.body.details?.[0]?.field]).toEqual([400, 'deviceId']);
    expect(await snapshot()).toEqual(before);
  });
});

describe('unpaired UTF-16 surrogates are refused, naming the field', () => {
  it.each(['\uD800', 'a\uDC00b', 'x\uDBFF'])('in a name (%j) and an id', async (bad) => {
    const before = await snapshot();
    const ws = await request(app)
      .post('/api/workspaces')
      .set('Authorization', ann.bearer)
      .set('Content-Type', 'application/json')
      // JSON.stringify escapes lone surrogates as \udXXX, which JSON.parse turns back into them.
      .send(JSON.stringify({ name: `Team ${bad}` }));
    expect([ws.status, ws.body.details?.[0]?.field]).toEqual([400, 'name']);
    const project = await request(app)
      .post('/api/projects')
      .set('Authorization', ann.bearer)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ workspaceId: `w${bad}`, name: 'P' }));
    expect([project.status, project.body.details?.[0]?.field]).toEqual([400, 'workspaceId']);
    expect(await snapshot()).toEqual(before);
  });

  it('in a path segment: bytes that are not UTF-8 (a lone surrogate, WTF-8 encoded) are a 400', async () => {
    const before = await snapshot();
    for (const path of [
      '/api/workspaces/a%ED%A0%80b',
      '/api/tasks/%FF',
      '/api/projects/%E0%A4%A',
    ]) {
      const res = await request(app).get(path).set('Authorization', ann.bearer);
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'VALIDATION_ERROR']);
      expect(res.body.details).toEqual([
        { field: 'path', message: 'must be percent-encoded UTF-8' },
      ]);
    }
    const del = await request(app)
      .delete('/api/tasks/a%ED%A0%80b')
      .set('Authorization', ann.bearer);
    expect(del.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });
});

describe('deeply nested input', () => {
  it('custom event data nested 16,000 levels is refused without overflowing the stack', async () => {
    const body = `{"eventType":"custom.deep","eventData":{"a":${'['.repeat(16_000)}${']'.repeat(16_000)}}}`;
    expect(body.length).toBeLessThan(100_000);
    const before = await snapshot();
    const res = await request(bigBodies)
      .post('/api/analytics/event')
      .set('Authorization', ann.bearer)
      .set('Content-Type', 'application/json')
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(res.body.details[0].field).toMatch(/^eventData\.a/);
    expect(await snapshot()).toEqual(before);
    const objects = `{"eventType":"custom.deep","eventData":${'{"a":'.repeat(16_000)}1${'}'.repeat(16_000)}}`;
    const res2 = await request(bigBodies)
      .post('/api/analytics/event')
      .set('Authorization', ann.bearer)
      .set('Content-Type', 'application/json')
      .send(objects);
    expect(res2.status).toBe(400);
  });
});

describe('analytics events naming tasks and projects', () => {
  beforeEach(async () => {
    await fs.db.doc('projects/p1').set({
      name: 'P',
      description: '',
      workspaceId: 'w1',
      ownerId: ann.uid,
      members: [ann.uid],
      createdAt: at,
      updatedAt: at,
    });
    await fs.db.doc('tasks/t1').set({ ...taskDoc({ createdBy: ann.uid }), createdAt: at });
    await fs.db.doc('projects/p2').set({
      name: 'Q',
      description: '',
      workspaceId: 'w1',
      ownerId: ann.uid,
      members: [ann.uid],
      createdAt: at,
      updatedAt: at,
    });
  });

  it.each([
    ['task_completed', { taskId: 't1', projectId: 'p1', duration: 3600 }],
    ['task_viewed', { taskId: 't1' }],
    ['project_viewed', { projectId: 'p1' }],
    ['focus_session', { duration: 600, taskId: 't1' }],
    ['task_completed', { taskId: 'missing', projectId: 'missing', duration: 3600 }],
  ])('an outsider cannot record %s naming another team’s work', async (eventType, eventData) => {
    const before = await snapshot();
    const res = await request(app)
      .post('/api/analytics/event')
      .set('Authorization', out.bearer)
      .send({ eventType, eventData });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('PERMISSION_DENIED');
    expect(await snapshot()).toEqual(before);
    const summary = await request(app)
      .get('/api/analytics/user-summary?period=weekly')
      .set('Authorization', out.bearer)
      .expect(200);
    expect(JSON.stringify(summary.body)).not.toContain('3600');
  });

  it('a member records them; a task named with the wrong project is a 422', async () => {
    await request(app)
      .post('/api/analytics/event')
      .set('Authorization', ann.bearer)
      .send({ eventType: 'task_completed', eventData: { taskId: 't1', projectId: 'p1' } })
      .expect(201);
    const wrong = await request(app)
      .post('/api/analytics/event')
      .set('Authorization', ann.bearer)
      .send({ eventType: 'task_completed', eventData: { taskId: 't1', projectId: 'p2' } });
    expect([wrong.status, wrong.body.details?.[0]?.field]).toEqual([422, 'eventData.projectId']);
  });
});

describe('the OpenAPI document declares what the API answers', () => {
  it('declares 404/409/413/422, typed error details, and no required server-filled userId', async () => {
    const res = await request(app).get('/api/openapi.json').expect(200);
    const doc = res.body as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const op = (path: string, method: string) =>
      doc.paths[path]?.[method] as { responses: Record<string, unknown> };
    expect(Object.keys(op('/api/workspaces/{workspaceId}', 'get').responses)).toEqual(
      expect.arrayContaining(['404']),
    );
    expect(Object.keys(op('/api/analytics/event', 'post').responses)).toEqual(
      expect.arrayContaining(['404', '409', '413', '422']),
    );
    for (const [path, p] of Object.entries(doc.paths)) {
      if (path === '/api/health') continue;
      for (const o of Object.values(p) as { responses: Record<string, unknown> }[]) {
        expect(Object.keys(o.responses)).toEqual(expect.arrayContaining(['413']));
      }
    }
    const body = op('/api/analytics/event', 'post') as unknown as {
      requestBody: { content: { 'application/json': { schema: { required?: string[] } } } };
    };
    expect(body.requestBody.content['application/json'].schema.required ?? []).not.toContain(
      'userId',
    );
    const summary = op('/api/analytics/user-summary', 'get') as unknown as {
      parameters: { name: string; required?: boolean }[];
    };
    expect(summary.parameters.find((p) => p.name === 'userId')?.required).not.toBe(true);
    expect(JSON.stringify(doc.components.schemas.Error?.properties.details)).toContain(
      '"type":"array","items":{"$ref":"#/components/schemas/FieldIssue"}',
    );
  });
});
