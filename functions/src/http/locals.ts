import type { Response } from 'express';
import type { Logger } from '../core/logger';

/** The request-scoped logger set by the request-context middleware (carries the request id). */
export function requestLogger(res: Response): Logger {
  return res.locals.logger as Logger;
}
