/**
 * One error vocabulary for every door (REST, callable, trigger).
 *
 * The kinds follow the Firebase Functions SDK's `FunctionsErrorCode` vocabulary
 * (`src/common/providers/https.ts` in firebase-functions) so that a callable can rethrow an
 * {@link AppError} as an `HttpsError` without a lossy translation, and REST answers with the
 * status and summary of the public REST error contract.
 */

/** Machine-readable error codes; stable, part of the public contract (`code` in REST bodies). */
export type ErrorCode =
  | 'VALIDATION_ERROR'
  | 'MALFORMED_JSON'
  | 'UNAUTHENTICATED'
  | 'TOKEN_REVOKED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'FAILED_PRECONDITION'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNPROCESSABLE_ENTITY'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** The subset of the SDK's `FunctionsErrorCode` that {@link ErrorCode} maps onto. */
export type CallableErrorCode =
  | 'invalid-argument'
  | 'unauthenticated'
  | 'permission-denied'
  | 'not-found'
  | 'already-exists'
  | 'failed-precondition'
  | 'resource-exhausted'
  | 'unavailable'
  | 'internal';

interface ErrorKind {
  readonly status: number;
  readonly callable: CallableErrorCode;
  /** The short `error` summary of the REST error bodies. */
  readonly summary: string;
}

export const ERROR_KINDS: Readonly<Record<ErrorCode, ErrorKind>> = {
  VALIDATION_ERROR: { status: 400, callable: 'invalid-argument', summary: 'Invalid request data' },
  MALFORMED_JSON: { status: 400, callable: 'invalid-argument', summary: 'Invalid request data' },
  UNAUTHENTICATED: { status: 401, callable: 'unauthenticated', summary: 'Authentication required' },
  TOKEN_REVOKED: { status: 401, callable: 'unauthenticated', summary: 'Authentication required' },
  PERMISSION_DENIED: { status: 403, callable: 'permission-denied', summary: 'Access denied' },
  NOT_FOUND: { status: 404, callable: 'not-found', summary: 'Not found' },
  CONFLICT: { status: 409, callable: 'already-exists', summary: 'Conflict' },
  FAILED_PRECONDITION: {
    status: 400,
    callable: 'failed-precondition',
    summary: 'Invalid request for the current state',
  },
  PAYLOAD_TOO_LARGE: { status: 413, callable: 'invalid-argument', summary: 'Payload too large' },
  UNPROCESSABLE_ENTITY: {
    status: 422,
    callable: 'failed-precondition',
    summary: 'Unprocessable entity',
  },
  RATE_LIMITED: { status: 429, callable: 'resource-exhausted', summary: 'Rate limit exceeded' },
  UNAVAILABLE: { status: 503, callable: 'unavailable', summary: 'Service unavailable' },
  INTERNAL: { status: 500, callable: 'internal', summary: 'Internal server error' },
};

/** One field-level problem, named by its dotted path (`preferences.emailFrequency`). */
export interface FieldIssue {
  field: string;
  message: string;
}

export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds a client should wait before retrying (429/503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_KINDS[this.code].status;
  }

  static validation(issues: FieldIssue[]): AppError {
    const first = issues[0];
    const message =
      first === undefined
        ? 'The request is invalid'
        : `${first.field === '' ? 'request' : first.field}: ${first.message}` +
          (issues.length > 1 ? ` (and ${issues.length - 1} more)` : '');
    return new AppError('VALIDATION_ERROR', message, issues);
  }

  static unauthenticated(message = 'Missing or invalid authentication token'): AppError {
    return new AppError('UNAUTHENTICATED', message);
  }

  static forbidden(message = "You don't have permission to access this resource"): AppError {
    return new AppError('PERMISSION_DENIED', message);
  }

  static notFound(message: string): AppError {
    return new AppError('NOT_FOUND', message);
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/**
 * A deployment setting (param or secret) is missing or would produce a wrong effect. Raised only
 * by the code that needs the setting, when it needs it, so the rest of the backend keeps working;
 * the message names the param, never its value.
 */
export class ConfigError extends AppError {
  constructor(
    readonly param: string,
    problem: string,
  ) {
    super('UNAVAILABLE', `${param} ${problem}`, { param });
  }
}
