import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { createApp } from '../../src/http/app';
import { defineOperation, type Operation } from '../../src/core/operation';
import { operations } from '../../src/operations/registry';
import { FixedClock } from '../../src/core/clock';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fs = createTestFirestore();
let alice: TestUser;
let admin: TestUser;

beforeAll(async () => {
  [alice, admin] = await Promise.all([createTestUser(), createTestUser({ admin: true })]);
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const boom = defineOperation({
  name: 'boom',
  summary: 'Fails with an unexpected error',
  access: 'user',
  http: { method: 'get', path: '/boom' },
  input: z.strictObject({}),
  output: z.object({}),
  handler: () => Promise.reject(new Error('secret internal detail at db.ts:42')),
});

const adminOnly = defineOperation({
  name: 'adminOnly',
  summary: 'Admins only',
  access: 'admin',
  http: { method: 'post', path: '/admin-only' },
  input: z.strictObject({ n: z.number() }),
  output: z.object({ n: z.number() }),
  handler: (input) => Promise.resolve(input),
});

const extra = [...operations, boom, adminOnly] as unknown as Operation[];

describe('the api app', () => {
  it('answers unknown routes with 404 in the error contract, with a request id', async () => {
    const res = await request(createApp(testRuntime(fs.db), extra))
      .get('/api/nope')
      .expect(404);
    expect(res.body).toEqual({
      error: 'Not found',
      code: 'NOT_FOUND',
      message: 'No route for GET /api/nope',
      requestId: res.headers['x-request-id'],
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const res = await request(createApp(testRuntime(fs.db), extra))
      .put(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .set('Content-Type', 'application/json')
      .send('{"preferences": {')
      .expect(400);
    expect(res.body).toMatchObject({ code: 'MALFORMED_JSON', error: 'Invalid request data' });
  });

  it('answers an oversize body with 413, before any handler runs', async () => {
    const rt = testRuntime(fs.db, { config: { bodyLimitBytes: 1024 } });
    const res = await request(createApp(rt, extra))
      .put(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .send({ preferences: { dailySummary: true }, pad: 'x'.repeat(2000) })
      .expect(413);
    expect(res.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', error: 'Payload too large' });
  });

  it('applies the size limit to a body the Functions framework already parsed (rawBody)', async () => {
    const rt = testRuntime(fs.db, { config: { bodyLimitBytes: 1024 } });
    const inner = createApp(rt, extra);
    const outer = express();
    outer.use(
      express.raw({ type: '*/*', limit: '1mb' }),
      (req, _res, next) => {
        const raw = req.body as Buffer;
        Object.assign(req, {
          rawBody: raw,
          body: JSON.parse(raw.toString()) as unknown,
          _body: true,
        });
        next();
      },
      inner,
    );
    await request(outer)
      .put(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ preferences: { dailySummary: true }, pad: 'x'.repeat(2000) }))
      .expect(413);
  });

  it('turns unexpected errors into a 500 without leaking the cause, and logs it with the request id', async () => {
    const rt = testRuntime(fs.db);
    const res = await request(createApp(rt, extra))
      .get('/api/boom')
      .set('Authorization', alice.bearer)
      .set('X-Request-Id', 'trace-abc-123')
      .expect(500);
    expect(res.body).toEqual({
      error: 'Internal server error',
      code: 'INTERNAL',
      message: 'An unexpected error occurred',
      requestId: 'trace-abc-123',
    });
    expect(JSON.stringify(res.body)).not.toContain('db.ts');
    const logged = rt.logger.lines.find((l) => l.message === 'Unhandled error');
    expect(logged).toMatchObject({ requestId: 'trace-abc-123', level: 'ERROR' });
    expect(String(logged?.stack)).toContain('db.ts:42');
  });

  it('puts the request id and the structured logging fields on every log line of a request', async () => {
    const rt = testRuntime(fs.db);
    const res = await request(createApp(rt, extra))
      .put(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .send({ preferences: { dailySummary: false } })
      .expect(200);
    const id = res.headers['x-request-id'];
    const lines = rt.logger.lines.filter((l) => l.requestId === id);
    expect(lines.map((l) => l.message)).toEqual(['Preferences updated', 'Request completed']);
    for (const line of rt.logger.lines) expect(line.requestId).toBe(id);
    expect(lines[0]).toMatchObject({
      function: 'api',
      operation: 'updatePreferences',
      userId: alice.uid,
    });
    expect(lines[1]).toMatchObject({ method: 'PUT', status: 200, userId: alice.uid });
  });

  it('ignores a client request id that does not look like one', async () => {
    const res = await request(createApp(testRuntime(fs.db), extra))
      .get('/api/nope')
      .set('X-Request-Id', 'bad id with spaces')
      .expect(404);
    expect(res.headers['x-request-id']).not.toBe('bad id with spaces');
  });

  it('sets security headers and answers CORS only for allowed origins', async () => {
    const a = createApp(testRuntime(fs.db), extra);
    const ok = await request(a)
      .options('/api/health')
      .set('Origin', 'https://app.taskflow.test')
      .set('Access-Control-Request-Method', 'GET')
      .expect(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.taskflow.test');
    const denied = await request(a).get('/api/nope').set('Origin', 'https://evil.test');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    expect(denied.headers['x-content-type-options']).toBe('nosniff');
    expect(denied.headers['strict-transport-security']).toBeDefined();
    expect(denied.headers['content-security-policy']).toBeDefined();
    expect(denied.headers['x-powered-by']).toBeUndefined();
  });

  it('lets only admins call admin operations (403 for users, 401 for anonymous)', async () => {
    const a = createApp(testRuntime(fs.db), extra);
    await request(a).post('/api/admin-only').send({ n: 1 }).expect(401);
    const res = await request(a)
      .post('/api/admin-only')
      .set('Authorization', alice.bearer)
      .send({ n: 1 })
      .expect(403);
    expect(res.body.code).toBe('PERMISSION_DENIED');
    await request(a)
      .post('/api/admin-only')
      .set('Authorization', admin.bearer)
      .send({ n: 1 })
      .expect(200, { n: 1 });
  });

  it('checks authorisation before validation: an anonymous bad body gets 401, not 400', async () => {
    await request(createApp(testRuntime(fs.db), extra))
      .post('/api/admin-only')
      .send({ n: 'x' })
      .expect(401);
  });
});

describe('rate limiting (shared through Firestore)', () => {
  it('answers 429 with Retry-After once a user exceeds the limit, across app instances', async () => {
    const clock = new FixedClock('2026-11-23T10:00:15Z');
    const rt = testRuntime(fs.db, {
      clock,
      config: { rateLimit: { userPerMinute: 3, ipPerMinute: 0 } },
    });
    const instance1 = createApp(rt, extra);
    const instance2 = createApp(rt, extra);
    const path = `/api/users/${alice.uid}/preferences`;
    await request(instance1).get(path).set('Authorization', alice.bearer).expect(200);
    await request(instance2).get(path).set('Authorization', alice.bearer).expect(200);
    await request(instance1).get(path).set('Authorization', alice.bearer).expect(200);
    const limited = await request(instance2)
      .get(path)
      .set('Authorization', alice.bearer)
      .expect(429);
    expect(limited.body).toMatchObject({
      error: 'Rate limit exceeded',
      code: 'RATE_LIMITED',
      message: 'Too many requests. Please try again later.',
    });
    expect(limited.headers['retry-after']).toBe('45');
    // Another user is not affected; the next window starts afresh.
    await request(instance1)
      .get(`/api/users/${admin.uid}/preferences`)
      .set('Authorization', admin.bearer)
      .expect(200);
    clock.advance(45_000);
    await request(instance1).get(path).set('Authorization', alice.bearer).expect(200);
  });

  it('limits per client IP before authentication', async () => {
    const rt = testRuntime(fs.db, { config: { rateLimit: { userPerMinute: 0, ipPerMinute: 2 } } });
    const a = createApp(rt, extra);
    await request(a).get('/api/nope').expect(404);
    await request(a).get('/api/nope').expect(404);
    const res = await request(a).get('/api/health').expect(429);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.code).toBe('RATE_LIMITED');
  });

  it('stores counters with a TTL field and no raw user id or IP', async () => {
    const rt = testRuntime(fs.db, { config: { rateLimit: { userPerMinute: 5, ipPerMinute: 5 } } });
    await request(createApp(rt, extra))
      .get(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .expect(200);
    const docs = (await fs.db.collection('rateLimits').get()).docs;
    expect(docs).toHaveLength(2);
    for (const d of docs) {
      expect(d.id).not.toContain(alice.uid);
      expect(d.get('expireAt').toDate().getTime()).toBeGreaterThan(rt.clock.now().getTime());
      expect(d.get('count')).toBe(1);
    }
  });
});

describe('GET /api/health and /api/openapi.json', () => {
  it('reports healthy with a passing Firestore round trip', async () => {
    const res = await request(createApp(testRuntime(fs.db), extra))
      .get('/api/health')
      .expect(200);
    expect(res.body).toEqual({
      status: 'healthy',
      timestamp: '2026-11-23T10:00:00.000Z',
      version: 'test',
      checks: { firestore: { status: 'pass', latencyMs: expect.any(Number) } },
      jobs: {},
    });
  });

  it('reports a scheduled job whose last success is older than twice its period as degraded (200)', async () => {
    const { Timestamp } = await import('firebase-admin/firestore');
    const at = (iso: string) => Timestamp.fromDate(new Date(iso));
    // Now is 10:00. The releaser (every minute) last succeeded 5 minutes ago: late.
    await fs.db.doc('jobHealth/releaseDeliveries').set({
      lastRunAt: at('2026-11-23T09:59:00Z'),
      lastSuccessAt: at('2026-11-23T09:55:00Z'),
      lastStatus: 'failed',
      periodSeconds: 60,
    });
    // The cleanup sweep (daily) ran 3 hours ago: fine.
    await fs.db.doc('jobHealth/dailyCleanup').set({
      periodSeconds: 86_400,
      lastSuccessAt: at('2026-11-23T07:00:00Z'),
      lastStatus: 'ok',
    });
    // Records of an earlier version's job names are not reported.
    await fs.db.doc('jobHealth/reminders').set({ periodSeconds: 300, lastStatus: 'ok' });
    await fs.db.doc('sweeps/dailyCleanup').set({ periodMs: 1, lastStatus: 'failed' });
    const res = await request(createApp(testRuntime(fs.db), extra))
      .get('/api/health')
      .expect(200);
    expect(res.body.status).toBe('degraded');
    expect(res.body.jobs).toEqual({
      releaseDeliveries: {
        status: 'warn',
        periodSeconds: 60,
        lastSuccessAt: '2026-11-23T09:55:00.000Z',
        lastSuccessAgeSeconds: 300,
      },
      dailyCleanup: {
        status: 'pass',
        periodSeconds: 86400,
        lastSuccessAt: '2026-11-23T07:00:00.000Z',
        lastSuccessAgeSeconds: 10800,
      },
    });
    await fs.clear();
  });

  it('reports the documents a sweep could not process (recorded, skipped, quarantined)', async () => {
    const { recordSweepError } = await import('../../src/domain/scheduling/sweep-errors.service');
    const rt = testRuntime(fs.db);
    for (let i = 0; i < 3; i++) {
      await recordSweepError(
        fs.db,
        rt.clock,
        'spawnRecurringTasks',
        'tasks/bad',
        new Error('boom'),
      );
    }
    const res = await request(createApp(rt, extra)).get('/api/health').expect(200);
    expect(res.body.sweepErrors).toEqual({
      count: 1,
      latest: [
        {
          sweep: 'spawnRecurringTasks',
          path: 'tasks/bad',
          error: 'boom',
          attempts: 3,
          quarantined: true,
        },
      ],
    });
    await fs.clear();
  });

  it('answers 503 unhealthy when the Firestore check fails', async () => {
    const rt = testRuntime(fs.db);
    rt.probes.firestore = () => Promise.reject(new Error('14 UNAVAILABLE: no connection'));
    const res = await request(createApp(rt, extra)).get('/health').expect(503);
    expect(res.body).toMatchObject({
      status: 'unhealthy',
      checks: { firestore: { status: 'fail', error: '14 UNAVAILABLE: no connection' } },
    });
  });

  it('serves an OpenAPI 3 document derived from the operation schemas', async () => {
    const res = await request(createApp(testRuntime(fs.db), operations))
      .get('/api/openapi.json')
      .expect(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.0.3');
    const put = doc.paths['/api/users/{userId}/preferences'].put;
    expect(put.operationId).toBe('updatePreferences');
    expect(put.parameters).toEqual([
      expect.objectContaining({ name: 'userId', in: 'path', required: true }),
    ]);
    const body = put.requestBody.content['application/json'].schema;
    expect(body.properties.preferences).toBeDefined();
    expect(body.additionalProperties).toBe(false);
    expect(doc.components.schemas.NotificationPreferences.properties.emailFrequency.enum).toEqual([
      'daily',
      'weekly',
      'never',
    ]);
    expect(put.security).toEqual([{ bearerAuth: [] }]);
    const del = doc.paths['/api/users/{userId}/devices'].delete;
    expect(del.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'deviceId',
      'token',
      'userId',
    ]);
    expect(doc.paths['/api/health'].get.responses['503']).toBeDefined();
    // Response headers an operation declares (httpHeaders) are documented on its success answer.
    expect(
      Object.keys(doc.paths['/api/notifications'].get.responses['200'].headers as object),
    ).toEqual(['X-Total-Count', 'X-Unread-Count']);
    // Every declared operation is in the document, and nothing else besides health.
    const ids = Object.values(doc.paths).flatMap((p) =>
      Object.values(p as object).map((o) => o.operationId),
    );
    expect(ids.sort()).toEqual(['health', ...operations.map((o) => o.name)].sort());
  });
});
