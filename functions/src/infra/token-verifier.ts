import type { Auth } from 'firebase-admin/auth';
import { systemClock, type Clock } from '../core/clock';
import { AppError } from '../core/errors';
import type { Caller } from '../core/operation';

/** Port: turns a bearer token into a {@link Caller}, or throws a 401 {@link AppError}. */
export interface TokenVerifier {
  verify(idToken: string, checkRevoked: boolean): Promise<Caller>;
}

function codeOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
    return e.code;
  }
  return undefined;
}

export interface TokenVerifierOptions {
  clock?: Clock;
  /** Verified tokens remembered per instance at most (least recently used forgotten). */
  maxEntries?: number;
}

/**
 * Firebase Auth ID tokens verified by the Admin SDK, exactly as in production.
 *
 * A token verified without the revocation check is remembered by this instance until it expires
 * (its `exp`), so a client sending the same token with every request pays the signature check
 * (and the certificate parsing behind it) once per instance, not per request. Nothing is lost:
 * without the revocation check the SDK's answer for a token depends only on the token and the
 * clock. Checks with revocation (`checkRevoked`: admin operations, account deletion) always ask
 * the SDK and Auth; refusals are never remembered.
 */
export function firebaseTokenVerifier(
  auth: Auth,
  options: TokenVerifierOptions = {},
): TokenVerifier {
  const clock = options.clock ?? systemClock;
  const maxEntries = options.maxEntries ?? 5_000;
  const verified = new Map<string, { caller: Caller; expiresAtMs: number }>();
  return {
    async verify(idToken, checkRevoked) {
      if (!checkRevoked) {
        const hit = verified.get(idToken);
        if (hit !== undefined) {
          verified.delete(idToken);
          if (clock.now().getTime() < hit.expiresAtMs) {
            verified.set(idToken, hit);
            return hit.caller;
          }
        }
      }
      try {
        const decoded = await auth.verifyIdToken(idToken, checkRevoked);
        const caller: Caller = {
          uid: decoded.uid,
          admin: decoded.admin === true,
          email: decoded.email,
          emailVerified: decoded.email_verified === true,
        };
        if (typeof decoded.exp === 'number') {
          if (verified.size >= maxEntries) {
            const oldest = verified.keys().next().value;
            if (oldest !== undefined) verified.delete(oldest);
          }
          verified.set(idToken, { caller, expiresAtMs: decoded.exp * 1000 });
        }
        return caller;
      } catch (e) {
        const code = codeOf(e);
        if (code === 'auth/id-token-revoked' || code === 'auth/user-disabled') {
          throw new AppError('TOKEN_REVOKED', 'The token has been revoked; sign in again');
        }
        if (code === 'auth/id-token-expired') {
          throw AppError.unauthenticated('The token has expired; refresh it and retry');
        }
        if (code?.startsWith('auth/') === true) throw AppError.unauthenticated();
        throw e;
      }
    },
  };
}

/** Extracts the token of an `Authorization: Bearer <token>` header, or `null` if there is none. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined)
    throw AppError.unauthenticated('Authorization must be "Bearer <ID token>"');
  return match[1];
}
