import express, { type NextFunction, type Request, type Response } from 'express';
import { executeOperation, streamOperation } from '../core/execute-operation';
import type { Logger } from '../core/logger';
import type { Caller, Operation, ResponseStream } from '../core/operation';
import { bearerToken } from '../infra/token-verifier';
import type { Runtime } from '../runtime';
import { requestLogger } from './locals';

/** REST input = query + JSON body + path parameters (path wins), validated as one object. */
function assembleInput(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  const fromBody =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  return { ...(req.query as Record<string, unknown>), ...fromBody, ...req.params };
}

/**
 * Runs `write` against `res` as a {@link ResponseStream}: status and headers go out with the first
 * chunk (an error before it is still answered as JSON by the error handler), each chunk waits for
 * the socket to drain, and a client that goes away stops the writer. An error after the first
 * chunk cannot change the status any more: it is logged and the connection cut, so the client
 * sees a truncated (invalid) body rather than a complete-looking one.
 */
async function streamTo(
  res: Response,
  status: number,
  logger: Logger,
  write: (out: ResponseStream) => Promise<void>,
): Promise<void> {
  const headers = new Map<string, string>([['Content-Type', 'application/json; charset=utf-8']]);
  const sendHead = () => {
    if (res.headersSent) return;
    res.status(status);
    for (const [name, value] of headers) res.setHeader(name, value);
  };
  const out: ResponseStream = {
    setHeader(name, value) {
      if (res.headersSent) throw new Error(`header ${name} set after the body started`);
      headers.set(name, value);
    },
    async write(chunk) {
      if (res.destroyed) throw new Error('the client closed the connection');
      sendHead();
      if (res.write(chunk)) return;
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          res.off('drain', onDrain);
          res.off('close', onClose);
          if (err === undefined) resolve();
          else reject(err);
        };
        const onDrain = () => {
          done();
        };
        const onClose = () => {
          done(new Error('the client closed the connection'));
        };
        res.on('drain', onDrain);
        res.on('close', onClose);
      });
    },
  };
  try {
    await write(out);
  } catch (e) {
    if (!res.headersSent) throw e;
    logger.error('Streamed response failed after it started', {
      error: e instanceof Error ? e.message : String(e),
    });
    res.destroy();
    return;
  }
  sendHead();
  res.end();
}

/**
 * Mounts every operation as a REST route: `Authorization: Bearer <ID token>` verified by the
 * Admin SDK, the per-user rate limit, then {@link executeOperation} — the same path the callable
 * door takes — and the operation's declared response headers. An operation with `httpStream`
 * writes its body in pieces instead ({@link streamTo}).
 *
 * Routes are tried in the order given, so a static path (`/notifications/mark-all-read`) must be
 * listed before a parameterised one of the same method that also matches it
 * (`/notifications/:notificationId`); `test/unit/routes.test.ts` checks the registry for that.
 */
export function operationRouter(
  runtime: Runtime,
  operations: readonly Operation[],
): express.Router {
  const router = express.Router();
  for (const op of operations) {
    router[op.http.method](op.http.path, (req: Request, res: Response, next: NextFunction) => {
      void (async () => {
        if (runtime.config.enforceAppCheck === true) {
          if (runtime.appCheck === undefined)
            throw new Error('App Check is enforced without a verifier');
          await runtime.appCheck.verify(req.header('x-firebase-appcheck'));
        }
        const token = bearerToken(req.header('authorization'));
        let caller: Caller | null = null;
        let fresh = false;
        if (token !== null) {
          caller = await runtime.tokens.verify(token, false);
          if (caller.admin) {
            // The admin claim alone grants access across projects, tasks and workspaces: it is
            // honoured only once the token is known not to be revoked (one Auth lookup, admins only).
            caller = await runtime.tokens.verify(token, true);
            fresh = true;
          }
          res.locals.caller = caller;
        }
        const logger = requestLogger(res).child({ operation: op.name, userId: caller?.uid });
        res.locals.logger = logger;
        if (caller !== null) {
          await runtime.limiter.consume(`user:${caller.uid}`, {
            limit: runtime.config.rateLimit.userPerMinute,
            windowSeconds: 60,
          });
        }
        const invocation = {
          rawInput: assembleInput(req),
          caller,
          requestId: String(res.locals.requestId),
          logger,
          deps: runtime.deps,
          requireFreshToken: async () => {
            if (fresh || token === null) return;
            await runtime.tokens.verify(token, true);
            fresh = true;
          },
        };
        if (op.httpStream !== undefined) {
          await streamTo(res, op.http.successStatus ?? 200, logger, (out) =>
            streamOperation(op, invocation, out),
          );
          return;
        }
        const result = await executeOperation(op, invocation);
        for (const [name, header] of Object.entries(op.httpHeaders ?? {})) {
          res.setHeader(name, String(header.value(result)));
        }
        res.status(op.http.successStatus ?? 200).json(result);
      })().catch(next);
    });
  }
  return router;
}
