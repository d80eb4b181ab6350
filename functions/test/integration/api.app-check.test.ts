import request from 'supertest';
import { HttpsError } from 'firebase-functions/https';
import { runCallable } from '../../src/callable/callable';
import { setRuntimeForTesting } from '../../src/composition-root';
import { AppError } from '../../src/core/errors';
import { createApp } from '../../src/http/app';
import type { AppCheckVerifier } from '../../src/infra/app-check-verifier';
import { operations } from '../../src/operations/registry';
import { getPreferencesOp } from '../../src/operations/users.operations';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fs = createTestFirestore();
let ann: TestUser;

/** A verifier that accepts exactly one token, and records what it was asked. */
function fakeAppCheck(): AppCheckVerifier & { seen: (string | undefined)[] } {
  const seen: (string | undefined)[] = [];
  return {
    seen,
    verify(token) {
      seen.push(token);
      return token === 'good-app-check-token'
        ? Promise.resolve()
        : Promise.reject(AppError.unauthenticated('A valid App Check token is required'));
    },
  };
}

beforeAll(async () => {
  ann = await createTestUser();
  await fs.db.doc(`users/${ann.uid}`).set({ email: ann.email });
});
afterAll(async () => {
  setRuntimeForTesting(undefined);
  await fs.dispose();
});

describe('App Check on REST', () => {
  it('when enforced, an operation needs a valid X-Firebase-AppCheck token; health does not', async () => {
    const appCheck = fakeAppCheck();
    const runtime = { ...testRuntime(fs.db, { config: { enforceAppCheck: true } }), appCheck };
    const app = createApp(runtime, operations);
    const path = `/api/users/${ann.uid}/preferences`;
    const missing = await request(app).get(path).set('Authorization', ann.bearer);
    expect([missing.status, missing.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(missing.body.message).toMatch(/App Check/);
    const forged = await request(app)
      .get(path)
      .set('Authorization', ann.bearer)
      .set('X-Firebase-AppCheck', 'forged');
    expect(forged.status).toBe(401);
    await request(app)
      .get(path)
      .set('Authorization', ann.bearer)
      .set('X-Firebase-AppCheck', 'good-app-check-token')
      .expect(200);
    expect(appCheck.seen).toEqual([undefined, 'forged', 'good-app-check-token']);
    await request(app).get('/api/health').expect(200);
    // Browsers may send it cross-origin.
    const preflight = await request(app)
      .options(path)
      .set('Origin', 'https://app.taskflow.test')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization,x-firebase-appcheck');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/X-Firebase-AppCheck/i);
  });

  it('when not enforced, the header is not looked at', async () => {
    const appCheck = fakeAppCheck();
    const app = createApp({ ...testRuntime(fs.db), appCheck }, operations);
    await request(app)
      .get(`/api/users/${ann.uid}/preferences`)
      .set('Authorization', ann.bearer)
      .expect(200);
    expect(appCheck.seen).toEqual([]);
  });
});

describe('callable x-request-id', () => {
  async function requestIdOf(header: string | undefined): Promise<string> {
    setRuntimeForTesting(testRuntime(fs.db));
    const e = await runCallable(
      () => Promise.resolve(getPreferencesOp),
      {
        data: { userId: 'someone-else' },
        auth: { uid: ann.uid, token: { uid: ann.uid } },
        rawRequest: {
          header: (name: string) => (name.toLowerCase() === 'x-request-id' ? header : undefined),
        },
      } as never,
      false,
    ).then(
      () => {
        throw new Error('expected a refusal');
      },
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(HttpsError);
    return ((e as HttpsError).details as { requestId: string }).requestId;
  }

  it('keeps a well-formed id and replaces anything else, as REST does', async () => {
    expect(await requestIdOf('trace-abc-123')).toBe('trace-abc-123');
    for (const bad of [
      'bad id with spaces',
      'x'.repeat(10_000),
      'line\nbreak-forged',
      'a\uD800bcdefgh',
    ]) {
      const id = await requestIdOf(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(await requestIdOf(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('malformed JSON', () => {
  it('answers the JSON error contract, not an HTML page', async () => {
    const app = createApp(testRuntime(fs.db), operations);
    for (const body of ['{', '{"name":', '[1,]', 'nul', '{"a":"\\x"}']) {
      const res = await request(app)
        .post('/api/workspaces')
        .set('Authorization', ann.bearer)
        .set('Content-Type', 'application/json')
        .send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        error: 'Invalid request data',
        code: 'MALFORMED_JSON',
        message: 'The request body is not valid JSON',
        requestId: expect.any(String),
      });
    }
  });
});
