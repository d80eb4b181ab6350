import type { Request, Response } from 'express';
import { CORS_ALLOWED_ORIGINS } from '../config/params';

/** A callable function object: an HTTP handler with the SDK's metadata properties. */
type Handler = (req: never, res: never) => unknown;
type CorsMiddleware = (req: Request, res: Response, next: (err?: unknown) => void) => void;

let middleware: { origins: string; handle: CorsMiddleware } | undefined;

/** The `cors` middleware for the current allow-list (built once per instance and value). */
async function corsFor(): Promise<CorsMiddleware> {
  const origins = CORS_ALLOWED_ORIGINS.value();
  if (middleware?.origins !== origins) {
    const [{ default: cors }, { parseCorsOrigins }] = await Promise.all([
      import('cors'),
      import('../config/config-check'),
    ]);
    const list = parseCorsOrigins(origins);
    middleware = {
      origins,
      // As the SDK's own callable CORS: POST only, the requested headers reflected (the client
      // SDKs send Authorization, Content-Type and the App Check / FCM token headers).
      handle: cors({ origin: list.includes('*') ? true : list, methods: 'POST', maxAge: 3600 }),
    };
  }
  return middleware.handle;
}

/**
 * A callable whose CORS policy is the REST API's allow-list (CORS_ALLOWED_ORIGINS), applied here
 * rather than by the SDK: the SDK's `cors` option is overridden by the Functions emulator (which
 * allows every origin), so a local run would hide what production refuses. The inner callable is
 * built with `cors: false` and answers nothing about CORS; a preflight from an allowed origin gets
 * 204 with the allow headers, one from any other origin 204 without them (the browser then refuses).
 * Everything the SDK and its tooling read from the function (`__endpoint`, `run`, …) is kept.
 */
export function withCallableCors<F extends Handler>(inner: F): F {
  const outer = (req: Request, res: Response): Promise<void> =>
    corsFor().then(
      (handle) =>
        new Promise<void>((resolve, reject) => {
          handle(req, res, (err) => {
            if (err !== undefined) {
              reject(err instanceof Error ? err : new Error('CORS middleware failed'));
              return;
            }
            Promise.resolve(inner(req as never, res as never)).then(() => {
              resolve();
            }, reject);
          });
          // A preflight is answered by the middleware without calling next().
          if (req.method === 'OPTIONS') resolve();
        }),
    );
  const { length: _length, name: _name, ...props } = Object.getOwnPropertyDescriptors(inner);
  return Object.defineProperties(outer, props) as unknown as F;
}
