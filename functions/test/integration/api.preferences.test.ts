import request from 'supertest';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { DEFAULT_PREFERENCES } from '../../src/domain/users/preferences.schema';
import { createTestUser, revokeTokens, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fs = createTestFirestore();
let alice: TestUser;
let bob: TestUser;
let admin: TestUser;

beforeAll(async () => {
  [alice, bob, admin] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

function app() {
  return createApp(testRuntime(fs.db), operations);
}

describe('GET/PUT /api/users/{userId}/preferences', () => {
  it('returns the defaults, in the REST contract shape, for a user who never saved any', async () => {
    const res = await request(app())
      .get(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .expect(200);
    expect(res.body).toEqual({ userId: alice.uid, preferences: { ...DEFAULT_PREFERENCES } });
  });

  it('round-trips a PUT of the documented body and stores it on the user document', async () => {
    const body = {
      preferences: {
        emailNotifications: true,
        pushNotifications: false,
        dailySummary: true,
        weeklySummary: false,
        taskAssignment: true,
        taskDueDate: true,
        emailFrequency: 'weekly',
      },
    };
    const put = await request(app())
      .put(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .send(body)
      .expect(200);
    expect(put.body).toMatchObject({ success: true, message: 'Preferences updated successfully' });

    const get = await request(app())
      .get(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .expect(200);
    expect(get.body.preferences).toEqual({ ...DEFAULT_PREFERENCES, ...body.preferences });

    const stored = (await fs.db.doc(`users/${alice.uid}`).get()).data();
    expect(stored?.notificationPreferences).toEqual(body.preferences);
    expect(stored?.updatedAt.toDate().toISOString()).toBe('2026-11-23T10:00:00.000Z');
  });

  it('merges partial updates and keeps the other keys', async () => {
    const a = app();
    await request(a)
      .put(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .send({ preferences: { quietHours: { start: '22:00', end: '07:00' } } })
      .expect(200);
    const res = await request(a)
      .put(`/api/users/${alice.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .send({ preferences: { reminderLeadMinutes: [60, 1440, 60] } })
      .expect(200);
    expect(res.body.preferences).toMatchObject({
      quietHours: { start: '22:00', end: '07:00' },
      reminderLeadMinutes: [1440, 60],
    });
  });

  it("refuses another user's preferences with 403 and the error contract", async () => {
    const res = await request(app())
      .get(`/api/users/${bob.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .set('X-Request-Id', 'req-test-0001')
      .expect(403);
    expect(res.body).toEqual({
      error: 'Access denied',
      code: 'PERMISSION_DENIED',
      message: "You don't have permission to access this resource",
      requestId: 'req-test-0001',
    });
    await request(app())
      .put(`/api/users/${bob.uid}/preferences`)
      .set('Authorization', alice.bearer)
      .send({ preferences: { pushNotifications: false } })
      .expect(403);
    expect((await fs.db.doc(`users/${bob.uid}`).get()).exists).toBe(false);
  });

  it("lets an admin read and write another user's preferences", async () => {
    await request(app())
      .put(`/api/users/${bob.uid}/preferences`)
      .set('Authorization', admin.bearer)
      .send({ preferences: { dailySummary: false } })
      .expect(200);
    const res = await request(app())
      .get(`/api/users/${bob.uid}/preferences`)
      .set('Authorization', admin.bearer)
      .expect(200);
    expect(res.body.preferences.dailySummary).toBe(false);
  });

  it('answers 401 without a token, with a malformed header, and with a forged token', async () => {
    const a = app();
    for (const header of [undefined, 'Basic abc', 'Bearer not-a-jwt', `Bearer ${alice.idToken}x`]) {
      const req = request(a).get(`/api/users/${alice.uid}/preferences`);
      if (header !== undefined) req.set('Authorization', header);
      const res = await req.expect(401);
      expect(res.body).toMatchObject({ error: 'Authentication required', code: 'UNAUTHENTICATED' });
    }
  });

  it('rejects a bad body with 400 naming the field, and writes nothing', async () => {
    const a = app();
    const cases: [unknown, string][] = [
      [{ preferences: { emailFrequency: 'hourly' } }, 'preferences.emailFrequency'],
      [{ preferences: { pushNotifications: 'yes' } }, 'preferences.pushNotifications'],
      [{ preferences: { colour: 'blue' } }, 'preferences.colour'],
      [{ preferences: { digestHour: 24 } }, 'preferences.digestHour'],
      [
        { preferences: { quietHours: { start: '25:00', end: '07:00' } } },
        'preferences.quietHours.start',
      ],
      [{ preferences: {} }, 'preferences'],
      [{}, 'preferences'],
      [{ preferences: { dailySummary: true }, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await request(a)
        .put(`/api/users/${alice.uid}/preferences`)
        .set('Authorization', alice.bearer)
        .send(body as object)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.error).toBe('Invalid request data');
      expect(res.body.message).toContain(field);
      expect(res.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    }
    expect((await fs.db.doc(`users/${alice.uid}`).get()).exists).toBe(false);
  });

  it('checks revocation when an admin touches another user’s data', async () => {
    const otherAdmin = await createTestUser({ admin: true });
    const a = app();
    await request(a)
      .get(`/api/users/${bob.uid}/preferences`)
      .set('Authorization', otherAdmin.bearer)
      .expect(200);
    await revokeTokens(otherAdmin.uid);
    const res = await request(a)
      .get(`/api/users/${bob.uid}/preferences`)
      .set('Authorization', otherAdmin.bearer)
      .expect(401);
    expect(res.body.code).toBe('TOKEN_REVOKED');
  });
});
