import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { AppError } from '../core/errors';
import { requestIdFrom } from '../core/request-id';
import type { Operation } from '../core/operation';
import type { Runtime } from '../runtime';
import { errorHandler } from './error-handler';
import { clientIp } from './client-ip';
import { healthRouter } from './health.routes';
import { requestLogger } from './locals';
import { operationRouter } from './operation-router';
import { openApiRouter } from './openapi.routes';
import { restView } from '../core/rest-names';
import { sendgridWebhookRouter } from './sendgrid-webhook.routes';
import { unsubscribeRouter } from './unsubscribe.routes';

/**
 * The REST surface: Express with request ids, structured request logs, security headers, CORS
 * allow-list, body limits, per-IP rate limit, the operation routes, health and OpenAPI, and one
 * error handler. Routes answer under `/api` (Hosting rewrite, the public base URL) and at the root (the
 * function's own URL).
 */
export function createApp(runtime: Runtime, operations: readonly Operation[]): express.Express {
  const { config } = runtime;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxyHops);
  app.set('json spaces', 0);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const requestId = requestIdFrom(req.header('x-request-id'));
    const started = performance.now();
    res.locals.requestId = requestId;
    res.locals.logger = runtime.logger.child({ requestId, function: 'api' });
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const caller = res.locals.caller as { uid: string } | undefined;
      requestLogger(res).info('Request completed', {
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
        userId: caller?.uid,
      });
    });
    next();
  });

  app.use(helmet());
  const allowAny = config.corsOrigins.includes('*');
  app.use(
    cors({
      origin: allowAny ? true : config.corsOrigins,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'X-Firebase-AppCheck'],
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'X-Total-Count', 'X-Unread-Count'],
      maxAge: 3600,
    }),
  );

  // The SendGrid Event Webhook verifies a signature over the exact body bytes and receives
  // batches of up to 768 KB, from a shared pool of SendGrid addresses: it reads its own raw body
  // with its own limit, ahead of the JSON parser, the body limit and the per-IP rate limit; it has
  // a per-address rate limit of its own.
  const webhooks = sendgridWebhookRouter(runtime);
  app.use('/api', webhooks);
  app.use(webhooks);

  // Cloud Functions parse the body before Express sees it and keep the bytes in `rawBody`; then
  // only the size is ours to check. Elsewhere (tests, plain Node) express.json parses with a limit.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const raw = (req as Request & { rawBody?: Buffer }).rawBody;
    if (raw !== undefined && raw.length > config.bodyLimitBytes) {
      next(new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large'));
      return;
    }
    next();
  });
  app.use(express.json({ limit: config.bodyLimitBytes, strict: true }));

  app.use((req: Request, _res: Response, next: NextFunction) => {
    const ip = clientIp(req, config.trustProxyHops);
    runtime.limiter
      .consume(`ip:${ip}`, { limit: config.rateLimit.ipPerMinute, windowSeconds: 60 })
      .then(() => {
        next();
      }, next);
  });

  // REST keeps the public contract's snake_case field names where it defines them.
  const rest = operations.map(restView);
  const routes = express.Router();
  routes.use(healthRouter(runtime));
  routes.use(openApiRouter(rest));
  routes.use(unsubscribeRouter(runtime));
  routes.use(operationRouter(runtime, rest));
  app.use('/api', routes);
  app.use(routes);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(AppError.notFound(`No route for ${req.method} ${req.path}`));
  });
  app.use(errorHandler((req) => requestLogger(req.res as Response)));
  return app;
}
