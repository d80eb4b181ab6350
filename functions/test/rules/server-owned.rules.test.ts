import { assertFails, type RulesTestEnvironment } from '@firebase/rules-unit-testing';
import { seed, startRulesEnv, type ClientDb } from './rules-env';

// deviceTokens, rateLimits and _health are written and read by the Admin SDK only (which bypasses
// the rules): no client, signed in or not, admin claim or not, may touch them.

let env: RulesTestEnvironment;

beforeAll(async () => {
  env = await startRulesEnv();
});

beforeEach(async () => {
  await env.clearFirestore();
  await seed(env, {
    'deviceTokens/fcm-alice-phone': { uid: 'alice', deviceId: 'phone' },
    'rateLimits/user:alice': { count: 1, windowStart: 0 },
    '_health/probe': { ok: true },
    'workspaces/w1': { name: 'Team' },
  });
});

afterAll(async () => {
  await env.clearFirestore();
  await env.cleanup();
});

function alice(): ClientDb {
  return env.authenticatedContext('alice').firestore();
}

/** Every read a client can make of `collection`: get an existing document, and list. */
async function expectReadsDenied(db: ClientDb, collection: string, id: string): Promise<void> {
  await assertFails(db.doc(`${collection}/${id}`).get());
  await assertFails(db.collection(collection).get());
}

/** Every write a client can make: create a new document, update and delete an existing one. */
async function expectWritesDenied(db: ClientDb, collection: string, id: string): Promise<void> {
  await assertFails(db.doc(`${collection}/new-doc`).set({ by: 'client' }));
  await assertFails(db.doc(`${collection}/${id}`).update({ by: 'client' }));
  await assertFails(db.doc(`${collection}/${id}`).delete());
}

describe('deviceTokens (server-owned)', () => {
  it('denies a signed-in user reading it (get and list)', async () => {
    await expectReadsDenied(alice(), 'deviceTokens', 'fcm-alice-phone');
  });

  it('denies a signed-in user writing it (create, update, delete)', async () => {
    await expectWritesDenied(alice(), 'deviceTokens', 'fcm-alice-phone');
  });
});

describe('rateLimits (server-owned)', () => {
  it('denies a signed-in user reading it (get and list)', async () => {
    await expectReadsDenied(alice(), 'rateLimits', 'user:alice');
  });

  it('denies a signed-in user writing it (create, update, delete)', async () => {
    await expectWritesDenied(alice(), 'rateLimits', 'user:alice');
  });
});

describe('_health (server-owned)', () => {
  it('denies a signed-in user reading it (get and list)', async () => {
    await expectReadsDenied(alice(), '_health', 'probe');
  });

  it('denies a signed-in user writing it (create, update, delete)', async () => {
    await expectWritesDenied(alice(), '_health', 'probe');
  });
});

describe('server-owned collections, other clients', () => {
  it('denies a user with the admin custom claim (claims grant nothing in the rules)', async () => {
    const admin = env.authenticatedContext('root', { admin: true }).firestore();
    await expectReadsDenied(admin, 'deviceTokens', 'fcm-alice-phone');
    await expectWritesDenied(admin, 'rateLimits', 'user:alice');
    await expectReadsDenied(admin, '_health', 'probe');
  });

  it('denies a client that is not signed in', async () => {
    const anonymous = env.unauthenticatedContext().firestore();
    await expectReadsDenied(anonymous, 'deviceTokens', 'fcm-alice-phone');
    await expectReadsDenied(anonymous, 'rateLimits', 'user:alice');
    await expectWritesDenied(anonymous, '_health', 'probe');
  });
});

describe('a collection the rules do not name (deny by default)', () => {
  it('denies a signed-in user reading it (get and list)', async () => {
    await expectReadsDenied(alice(), 'workspaces', 'w1');
  });

  it('denies a signed-in user writing it (create, update, delete)', async () => {
    await expectWritesDenied(alice(), 'workspaces', 'w1');
  });
});
