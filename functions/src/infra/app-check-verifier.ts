import type { App } from 'firebase-admin/app';
import { AppError } from '../core/errors';

/**
 * Port: checks the `X-Firebase-AppCheck` token of a REST request (callables get theirs checked by
 * the Functions framework). Throws a 401 {@link AppError} for a missing or invalid token.
 */
export interface AppCheckVerifier {
  verify(token: string | undefined): Promise<void>;
}

function codeOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
    ? e.code
    : undefined;
}

/** App Check tokens verified by the Admin SDK (`firebase-admin/app-check`, loaded on first use). */
export function firebaseAppCheckVerifier(app: App): AppCheckVerifier {
  return {
    async verify(token) {
      if (token === undefined || token === '') {
        throw AppError.unauthenticated('A valid App Check token is required');
      }
      const { getAppCheck } = await import('firebase-admin/app-check');
      try {
        await getAppCheck(app).verifyToken(token);
      } catch (e) {
        if (codeOf(e)?.startsWith('app-check/') === true) {
          throw AppError.unauthenticated('A valid App Check token is required');
        }
        throw e;
      }
    },
  };
}
