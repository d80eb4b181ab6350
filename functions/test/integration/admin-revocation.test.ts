import { Timestamp } from 'firebase-admin/firestore';
import request from 'supertest';
import { AppError } from '../../src/core/errors';
import { createApp } from '../../src/http/app';
import type { TokenVerifier } from '../../src/infra/token-verifier';
import { operations } from '../../src/operations/registry';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

/**
 * The admin claim is honoured only after the token is checked for revocation: an admin whose
 * tokens were revoked is refused at once (401 TOKEN_REVOKED), not for the hour the token lives,
 * on every route where the claim alone grants access across projects, tasks and workspaces.
 * (Against the Auth emulator the Admin SDK always checks revocation, so the production behaviour
 * — no check unless asked — is reproduced with a verifier that honours the flag.)
 */

const fs = createTestFirestore();
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

/** Tokens `admin` (revoked) and `user`: revocation is seen only when asked for, as in production. */
function productionLikeVerifier(checks: boolean[]): TokenVerifier {
  return {
    verify(token, checkRevoked) {
      checks.push(checkRevoked);
      if (token === 'admin' && checkRevoked) {
        return Promise.reject(new AppError('TOKEN_REVOKED', 'revoked'));
      }
      return Promise.resolve({ uid: token, admin: token === 'admin' });
    },
  };
}

it("a revoked admin can no longer read another user's project with the old token", async () => {
  const at = Timestamp.fromDate(new Date('2026-11-01T00:00:00Z'));
  await fs.db.doc('projects/p1').set({
    name: 'Private',
    description: '',
    workspaceId: 'w1',
    ownerId: 'user',
    members: ['user'],
    createdAt: at,
    updatedAt: at,
  });
  const checks: boolean[] = [];
  const runtime = { ...testRuntime(fs.db), tokens: productionLikeVerifier(checks) };
  const app = createApp(runtime, operations);
  const res = await request(app).get('/api/projects/p1').set('Authorization', 'Bearer admin');
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('TOKEN_REVOKED');
  // A caller without the claim is not checked (no Auth lookup per ordinary request).
  checks.length = 0;
  await request(app).get('/api/projects/p1').set('Authorization', 'Bearer user').expect(200);
  expect(checks).toEqual([false]);
});
