import express, { type NextFunction, type Request, type Response } from 'express';
import { executeOperation } from '../core/execute-operation';
import type { Caller, Operation } from '../core/operation';
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
 * Mounts every operation as a REST route: `Authorization: Bearer <ID token>` verified by the
 * Admin SDK, the per-user rate limit, then {@link executeOperation} — the same path the callable
 * door takes — and the operation's declared response headers.
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
        const token = bearerToken(req.header('authorization'));
        let caller: Caller | null = null;
        if (token !== null) {
          caller = await runtime.tokens.verify(token, false);
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
        let fresh = false;
        const result = await executeOperation(op, {
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
        });
        for (const [name, header] of Object.entries(op.httpHeaders ?? {})) {
          res.setHeader(name, String(header.value(result)));
        }
        res.status(op.http.successStatus ?? 200).json(result);
      })().catch(next);
    });
  }
  return router;
}
