import type { Auth, DecodedIdToken } from 'firebase-admin/auth';
import { FixedClock } from '../../src/core/clock';
import { AppError } from '../../src/core/errors';
import { firebaseTokenVerifier } from '../../src/infra/token-verifier';

const NOW_S = Date.parse('2026-11-23T10:00:00Z') / 1000;

/** An Auth double: every token `t-<uid>` is valid for an hour from NOW; anything else is refused. */
function fakeAuth() {
  const verifyIdToken = jest.fn((token: string, _checkRevoked?: boolean) => {
    if (!token.startsWith('t-')) {
      return Promise.reject(Object.assign(new Error('bad'), { code: 'auth/argument-error' }));
    }
    return Promise.resolve({ uid: token.slice(2), exp: NOW_S + 3600 } as DecodedIdToken);
  });
  return { auth: { verifyIdToken } as unknown as Auth, verifyIdToken };
}

describe('firebaseTokenVerifier', () => {
  it('verifies a token once per instance until it expires, not on every request', async () => {
    const { auth, verifyIdToken } = fakeAuth();
    const clock = new FixedClock('2026-11-23T10:00:00Z');
    const tokens = firebaseTokenVerifier(auth, { clock });
    for (let i = 0; i < 5; i++) {
      await expect(tokens.verify('t-alice', false)).resolves.toEqual({
        uid: 'alice',
        admin: false,
        email: undefined,
        emailVerified: false,
      });
    }
    expect(verifyIdToken).toHaveBeenCalledTimes(1);
    clock.advance(3600_000);
    await tokens.verify('t-alice', false);
    expect(verifyIdToken).toHaveBeenCalledTimes(2);
  });

  it('always asks the SDK when revocation must be checked, and never remembers a refusal', async () => {
    const { auth, verifyIdToken } = fakeAuth();
    const tokens = firebaseTokenVerifier(auth, { clock: new FixedClock('2026-11-23T10:00:00Z') });
    await tokens.verify('t-bob', false);
    await tokens.verify('t-bob', true);
    await tokens.verify('t-bob', true);
    expect(verifyIdToken).toHaveBeenCalledTimes(3);
    for (let i = 0; i < 2; i++) {
      await expect(tokens.verify('forged', false)).rejects.toBeInstanceOf(AppError);
    }
    expect(verifyIdToken).toHaveBeenCalledTimes(5);
  });

  it('keeps a bounded number of tokens', async () => {
    const { auth, verifyIdToken } = fakeAuth();
    const tokens = firebaseTokenVerifier(auth, {
      clock: new FixedClock('2026-11-23T10:00:00Z'),
      maxEntries: 2,
    });
    await tokens.verify('t-a', false);
    await tokens.verify('t-b', false);
    await tokens.verify('t-c', false);
    await tokens.verify('t-a', false);
    expect(verifyIdToken).toHaveBeenCalledTimes(4);
  });
});
