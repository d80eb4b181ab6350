import type { Auth } from 'firebase-admin/auth';
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

/** Firebase Auth ID tokens verified by the Admin SDK, exactly as in production. */
export function firebaseTokenVerifier(auth: Auth): TokenVerifier {
  return {
    async verify(idToken, checkRevoked) {
      try {
        const decoded = await auth.verifyIdToken(idToken, checkRevoked);
        return {
          uid: decoded.uid,
          admin: decoded.admin === true,
          email: decoded.email,
          emailVerified: decoded.email_verified === true,
        };
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
