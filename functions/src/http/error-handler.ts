import type { ErrorRequestHandler, Request, Response } from 'express';
import { AppError, ERROR_KINDS, isAppError } from '../core/errors';
import type { Logger } from '../core/logger';

/** The REST error body: `{error, code, message, details?, requestId}`. */
export interface ErrorBody {
  error: string;
  code: string;
  message: string;
  details?: unknown;
  requestId: string;
}

/** Express/body-parser errors carry `type` and `status`; map the ones a client can cause. */
function fromFrameworkError(err: unknown): AppError | undefined {
  // The router decodes path parameters with decodeURIComponent: bytes that are not UTF-8 (a lone
  // surrogate's WTF-8 bytes, a stray %FF) throw a URIError it marks 400.
  if (err instanceof URIError && (err as URIError & { status?: unknown }).status === 400) {
    return new AppError('VALIDATION_ERROR', 'The request path is not valid', [
      { field: 'path', message: 'must be percent-encoded UTF-8' },
    ]);
  }
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('VALIDATION_ERROR', 'Unsupported body encoding');
    case 'request.aborted':
      return new AppError('VALIDATION_ERROR', 'The request was aborted');
    default:
      return undefined;
  }
}

export function sendError(res: Response, requestId: string, err: AppError): void {
  const body: ErrorBody = {
    error: ERROR_KINDS[err.code].summary,
    code: err.code,
    message: err.message,
    requestId,
  };
  if (err.details !== undefined) body.details = err.details;
  if (err.retryAfterSeconds !== undefined)
    res.setHeader('Retry-After', String(err.retryAfterSeconds));
  res.status(err.status).json(body);
}

/**
 * The one Express error handler. Client-caused errors keep their status; anything else is a 500
 * whose body says nothing of the cause (the stack goes to the log with the request id).
 */
export function errorHandler(logger: (req: Request) => Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const requestId = String(res.locals.requestId ?? 'unknown');
    const known = isAppError(err) ? err : fromFrameworkError(err);
    if (known !== undefined) {
      sendError(res, requestId, known);
      return;
    }
    logger(req).error('Unhandled error', {
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    sendError(res, requestId, new AppError('INTERNAL', 'An unexpected error occurred'));
  };
}
