import functionsTest from 'firebase-functions-test';
import request from 'supertest';
import { HttpsError } from 'firebase-functions/https';
import { setRuntimeForTesting } from '../../src/composition-root';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { getPreferences, registerDevice, unregisterDevice, updatePreferences } from '../../src';
import { createTestUser, revokeTokens, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const runtime = testRuntime(fs.db);
let alice: TestUser;
let bob: TestUser;
let admin: TestUser;

beforeAll(async () => {
  setRuntimeForTesting(runtime);
  [alice, bob, admin] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

/** What the Functions framework hands a callable after verifying the caller's ID token. */
function as(user: TestUser, data: unknown, claims: Record<string, unknown> = {}) {
  return {
    data,
    auth: { uid: user.uid, token: { uid: user.uid, email: user.email, ...claims } },
    rawRequest: { header: (name: string) => (name === 'authorization' ? user.bearer : undefined) },
  } as never;
}

async function expectHttpsError(p: Promise<unknown>, code: string, detailsCode?: string) {
  const err = await p.then(
    () => {
      throw new Error('expected an HttpsError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpsError);
  expect((err as HttpsError).code).toBe(code);
  if (detailsCode !== undefined) {
    expect((err as HttpsError).details).toMatchObject({ code: detailsCode });
  }
  return err as HttpsError;
}

describe('callable twins of the users operations', () => {
  it('updatePreferences then getPreferences give the same data as the REST door', async () => {
    const update = fft.wrap(updatePreferences);
    const get = fft.wrap(getPreferences);
    const saved = (await update(
      as(alice, { userId: alice.uid, preferences: { emailFrequency: 'never', digestHour: 7 } }),
    )) as { success: boolean };
    expect(saved).toMatchObject({ success: true, message: 'Preferences updated successfully' });

    const viaCallable = await get(as(alice, { userId: alice.uid }));
    const viaRest = await request(createApp(runtime, operations))
      .get(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .expect(200);
    expect(viaCallable).toEqual(viaRest.body);
    expect(viaRest.body.preferences).toMatchObject({ emailFrequency: 'never', digestHour: 7 });
  });

  it('rejects bad input with invalid-argument naming the field, and writes nothing', async () => {
    const err = await expectHttpsError(
      fft.wrap(updatePreferences)(
        as(alice, { userId: alice.uid, preferences: { digestHour: 'eight' } }),
      ),
      'invalid-argument',
      'VALIDATION_ERROR',
    );
    expect(err.message).toContain('preferences.digestHour');
    expect((await fs.db.doc(`users/${alice.uid}`).get()).exists).toBe(false);
  });

  it("answers permission-denied for another user's data and unauthenticated without auth", async () => {
    await expectHttpsError(
      fft.wrap(getPreferences)(as(alice, { userId: bob.uid })),
      'permission-denied',
      'PERMISSION_DENIED',
    );
    await expectHttpsError(
      fft.wrap(getPreferences)({ data: { userId: alice.uid } } as never),
      'unauthenticated',
    );
  });

  it('lets an admin act on another user, checking the token for revocation', async () => {
    const get = fft.wrap(getPreferences);
    await expect(get(as(admin, { userId: bob.uid }, { admin: true }))).resolves.toMatchObject({
      userId: bob.uid,
    });
    const revoked = await createTestUser({ admin: true });
    await revokeTokens(revoked.uid);
    await expectHttpsError(
      get(as(revoked, { userId: bob.uid }, { admin: true })),
      'unauthenticated',
      'TOKEN_REVOKED',
    );
  });

  it('registers and unregisters a device through the callables', async () => {
    const token = `fcm-${'z'.repeat(150)}`;
    const reg = (await fft.wrap(registerDevice)(
      as(bob, { userId: bob.uid, token, platform: 'ios' }),
    )) as {
      deviceId: string;
    };
    expect((await fs.db.doc(`users/${bob.uid}/devices/${reg.deviceId}`).get()).get('token')).toBe(
      token,
    );
    await expect(fft.wrap(unregisterDevice)(as(bob, { userId: bob.uid, token }))).resolves.toEqual({
      success: true,
      removed: true,
    });
  });

  it('answers resource-exhausted once the shared per-user limit is reached', async () => {
    const limited = testRuntime(fs.db, {
      config: { rateLimit: { userPerMinute: 1, ipPerMinute: 0 } },
    });
    setRuntimeForTesting(limited);
    try {
      const get = fft.wrap(getPreferences);
      await get(as(alice, { userId: alice.uid }));
      const err = await expectHttpsError(
        get(as(alice, { userId: alice.uid })),
        'resource-exhausted',
        'RATE_LIMITED',
      );
      expect((err.details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      setRuntimeForTesting(runtime);
    }
  });
});

describe('callable conveniences and App Check', () => {
  it('defaults userId to the caller (the Flutter app asks for "my" preferences)', async () => {
    await expect(fft.wrap(getPreferences)(as(alice, {}))).resolves.toMatchObject({
      userId: alice.uid,
    });
  });

  it('rejects a call without App Check when enforcement is on', async () => {
    const { runCallable } = await import('../../src/callable/callable');
    const { getPreferencesOp } = await import('../../src/operations/users.operations');
    const load = () => Promise.resolve(getPreferencesOp as never);
    await expectHttpsError(runCallable(load, as(alice, {}), true), 'unauthenticated');
    const withApp = { ...(as(alice, {}) as object), app: { appId: 'app', token: {} } } as never;
    await expect(runCallable(load, withApp, true)).resolves.toMatchObject({ userId: alice.uid });
  });
});
