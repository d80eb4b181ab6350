import request from 'supertest';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { tokenKey } from '../../src/domain/users/devices.service';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fs = createTestFirestore();
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  [alice, bob] = await Promise.all([createTestUser(), createTestUser()]);
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const TOKEN_A = `fcm-token-a-${'x'.repeat(140)}`;
const TOKEN_B = `fcm-token-b-${'y'.repeat(140)}`;

function app() {
  return createApp(testRuntime(fs.db), operations);
}

async function devicesOf(uid: string) {
  const snap = await fs.db.collection(`users/${uid}/devices`).get();
  return snap.docs.map((d) => ({ id: d.id, ...d.data() }));
}

describe('POST/DELETE /api/users/{userId}/devices', () => {
  it('registers a device and is idempotent when the same token is registered again', async () => {
    const a = app();
    const first = await request(a)
      .post(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_A, platform: 'android' })
      .expect(201);
    expect(first.body).toEqual({ success: true, deviceId: expect.any(String) });
    const again = await request(a)
      .post(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_A, platform: 'android' })
      .expect(201);
    expect(again.body.deviceId).toBe(first.body.deviceId);

    const devices = await devicesOf(alice.uid);
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ token: TOKEN_A, platform: 'android' });
    const index = await fs.db.doc(`deviceTokens/${tokenKey(TOKEN_A)}`).get();
    expect(index.data()).toMatchObject({ uid: alice.uid, deviceId: first.body.deviceId });
  });

  it('replaces the token of a device whose token rotated, and drops the old index entry', async () => {
    const a = app();
    await request(a)
      .post(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_A, platform: 'ios', deviceId: 'iphone-1' })
      .expect(201);
    await request(a)
      .post(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_B, platform: 'ios', deviceId: 'iphone-1' })
      .expect(201);
    expect(await devicesOf(alice.uid)).toEqual([
      expect.objectContaining({ id: 'iphone-1', token: TOKEN_B }),
    ]);
    expect((await fs.db.doc(`deviceTokens/${tokenKey(TOKEN_A)}`).get()).exists).toBe(false);
  });

  it('moves a token to the user who registered it last (a shared phone)', async () => {
    const a = app();
    await request(a)
      .post(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_A, platform: 'android' })
      .expect(201);
    await request(a)
      .post(`/api/users/${bob.uid}/devices`)
      .set('Authorization', bob.bearer)
      .send({ token: TOKEN_A, platform: 'android' })
      .expect(201);
    expect(await devicesOf(alice.uid)).toEqual([]);
    expect(await devicesOf(bob.uid)).toHaveLength(1);
  });

  it('unregisters by token (body or query) and by device id; idempotent', async () => {
    const a = app();
    const reg = await request(a)
      .post(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_A, platform: 'web' })
      .expect(201);
    const del = await request(a)
      .delete(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_A })
      .expect(200);
    expect(del.body).toEqual({ success: true, removed: true });
    expect(await devicesOf(alice.uid)).toEqual([]);
    expect((await fs.db.doc(`deviceTokens/${tokenKey(TOKEN_A)}`).get()).exists).toBe(false);

    const again = await request(a)
      .delete(`/api/users/${alice.uid}/devices`)
      .query({ token: TOKEN_A })
      .set('Authorization', alice.bearer)
      .expect(200);
    expect(again.body).toEqual({ success: true, removed: false });

    await request(a)
      .post(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_B, platform: 'web', deviceId: 'browser-1' })
      .expect(201);
    const byId = await request(a)
      .delete(`/api/users/${alice.uid}/devices`)
      .query({ deviceId: 'browser-1' })
      .set('Authorization', alice.bearer)
      .expect(200);
    expect(byId.body.removed).toBe(true);
    expect(reg.body.deviceId).not.toBe('browser-1');
  });

  it("cannot unregister another user's device by naming its token", async () => {
    const a = app();
    await request(a)
      .post(`/api/users/${bob.uid}/devices`)
      .set('Authorization', bob.bearer)
      .send({ token: TOKEN_B, platform: 'ios' })
      .expect(201);
    const res = await request(a)
      .delete(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_B })
      .expect(200);
    expect(res.body.removed).toBe(false);
    expect(await devicesOf(bob.uid)).toHaveLength(1);
    await request(a)
      .delete(`/api/users/${bob.uid}/devices`)
      .set('Authorization', alice.bearer)
      .send({ token: TOKEN_B })
      .expect(403);
  });

  it('rejects bad bodies with 400 naming the field and stores nothing', async () => {
    const a = app();
    const cases: [object, string][] = [
      [{ platform: 'android' }, 'token'],
      [{ token: TOKEN_A }, 'platform'],
      [{ token: TOKEN_A, platform: 'windows-phone' }, 'platform'],
      [{ token: 'short', platform: 'ios' }, 'token'],
      [{ token: 'has spaces in it ......', platform: 'ios' }, 'token'],
      [{ token: TOKEN_A, platform: 'ios', deviceId: 'bad/id' }, 'deviceId'],
      [{ token: TOKEN_A, platform: 'ios', owner: 'x' }, 'owner'],
    ];
    for (const [body, field] of cases) {
      const res = await request(a)
        .post(`/api/users/${alice.uid}/devices`)
        .set('Authorization', alice.bearer)
        .send(body)
        .expect(400);
      expect(res.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    }
    const del = await request(a)
      .delete(`/api/users/${alice.uid}/devices`)
      .set('Authorization', alice.bearer)
      .expect(400);
    expect(del.body.message).toContain('token');
    expect(await devicesOf(alice.uid)).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    await request(app())
      .post(`/api/users/${alice.uid}/devices`)
      .send({ token: TOKEN_A, platform: 'ios' })
      .expect(401);
  });
});
