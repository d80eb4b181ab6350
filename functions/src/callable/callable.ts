import {
  HttpsError,
  onCall,
  type CallableFunction,
  type CallableRequest,
} from 'firebase-functions/https';
import type { SecretParam } from 'firebase-functions/params';
import { ENFORCE_APP_CHECK } from '../config/params';
import { CALLABLE_OPTIONS } from '../config/runtime-options';
import type { Operation } from '../core/operation';
import { withCallableCors } from './callable-cors';

/**
 * The callable door of an operation. The operation module (and zod, firebase-admin…) is loaded on
 * the first call, not at cold start; the call then takes the same path as REST
 * ({@link import('../core/execute-operation').executeOperation}), and an `AppError` is rethrown as
 * the `HttpsError` of the same code, with the machine code and field details in `details`.
 */
export function callableFor(
  load: () => Promise<Operation>,
  options: { secrets?: SecretParam[] } = {},
): CallableFunction<unknown, Promise<unknown>> {
  // App Check is enforced in runCallable, not with onCall's `enforceAppCheck`: the SDK reads that
  // option's value when the function is defined, i.e. during deploy-time analysis. CORS is the
  // REST allow-list, applied outside the SDK (see withCallableCors).
  return withCallableCors(
    onCall({ ...CALLABLE_OPTIONS, cors: false, secrets: options.secrets ?? [] }, (request) =>
      runCallable(load, request, ENFORCE_APP_CHECK.value()),
    ),
  );
}

export async function runCallable(
  load: () => Promise<Operation>,
  request: CallableRequest,
  enforceAppCheck: boolean,
): Promise<unknown> {
  // The Functions framework has already verified any App Check token it got (`request.app`).
  if (enforceAppCheck && request.app === undefined) {
    throw new HttpsError('unauthenticated', 'A valid App Check token is required');
  }
  const [op, { getRuntime }, { executeOperation }, { isAppError, ERROR_KINDS, AppError }, ids] =
    await Promise.all([
      load(),
      import('../composition-root'),
      import('../core/execute-operation'),
      import('../core/errors'),
      import('../core/request-id'),
    ]);
  const runtime = getRuntime();
  // rawRequest is always there in production; tests may drive the handler without one.
  const header = (name: string): string | undefined =>
    (request.rawRequest as typeof request.rawRequest | undefined)?.header(name);
  // Validated as REST's: a client's id goes into every log line of the call.
  const requestId = ids.requestIdFrom(header('x-request-id'));
  let fresh = false;
  const freshToken = async (): Promise<void> => {
    if (fresh) return;
    const token = /^Bearer\s+(\S+)$/i.exec(header('authorization') ?? '')?.[1];
    if (token === undefined) throw AppError.unauthenticated('A fresh ID token is required');
    await runtime.tokens.verify(token, true);
    fresh = true;
  };
  const caller =
    request.auth === undefined
      ? null
      : {
          uid: request.auth.uid,
          admin: request.auth.token.admin === true,
          email: request.auth.token.email,
          emailVerified: request.auth.token.email_verified === true,
        };
  const logger = runtime.logger.child({ requestId, function: op.name, userId: caller?.uid });
  try {
    if (caller !== null) {
      await runtime.limiter.consume(`user:${caller.uid}`, {
        limit: runtime.config.rateLimit.userPerMinute,
        windowSeconds: 60,
      });
    }
    // The admin claim is honoured only once the token is known not to be revoked (admins only).
    if (caller?.admin === true) await freshToken();
    const result = await executeOperation(op, {
      rawInput: request.data ?? {},
      caller,
      requestId,
      logger,
      deps: runtime.deps,
      requireFreshToken: freshToken,
    });
    logger.info('Callable completed');
    return result;
  } catch (e) {
    if (e instanceof HttpsError) throw e;
    if (isAppError(e)) {
      throw new HttpsError(ERROR_KINDS[e.code].callable, e.message, {
        code: e.code,
        details: e.details,
        requestId,
        retryAfterSeconds: e.retryAfterSeconds,
      });
    }
    logger.error('Unhandled error', {
      error: e instanceof Error ? e.message : String(e),
      stack: e instanceof Error ? e.stack : undefined,
    });
    throw new HttpsError('internal', 'An unexpected error occurred', { requestId });
  }
}
