import type { EventWebhook as EventWebhookClass } from '@sendgrid/eventwebhook';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../core/errors';
import type { Logger } from '../core/logger';
import { recordSendGridEvents } from '../domain/notifications/suppressions.service';
import type { Runtime } from '../runtime';
import { clientIp } from './client-ip';
import { requestLogger } from './locals';

export const SENDGRID_EVENTS_PATH = '/webhooks/sendgrid/events';

/**
 * Largest webhook body. SendGrid posts a batch every 30 s or when it reaches 768 KB, above the
 * API's JSON limit (`MAX_BODY_KB`, 100 KiB by default), so this route has its own.
 */
export const SENDGRID_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * How far the signed timestamp may be from now, either way. A captured request replayed later is
 * refused; within the window a replay changes nothing (events are idempotent per `sg_event_id`).
 * SendGrid signs each POST when it makes it, so its retries carry fresh timestamps.
 */
export const SIGNATURE_MAX_SKEW_SECONDS = 10 * 60;

type EventWebhookModule = typeof import('@sendgrid/eventwebhook');
type PublicKey = ReturnType<EventWebhookClass['convertPublicKeyToECDSA']>;

let library: EventWebhookModule | undefined;

/** SendGrid's verification library (pure-JS ECDSA, ~30 ms to load): loaded on the first event. */
function eventWebhookLibrary(): EventWebhookModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: keeps the API's cold start small
  library ??= require('@sendgrid/eventwebhook') as EventWebhookModule;
  return library;
}

/** Parsed keys by their base64 text: parsing validates the curve point, which is not free. */
const keys = new Map<string, PublicKey | null>();

function publicKeyOf(base64: string, logger: Logger): PublicKey | null {
  if (!keys.has(base64)) {
    const { EventWebhook } = eventWebhookLibrary();
    try {
      keys.set(base64, new EventWebhook().convertPublicKeyToECDSA(base64));
    } catch (e) {
      logger.error('SENDGRID_WEBHOOK_PUBLIC_KEY is not a valid ECDSA public key', {
        error: e instanceof Error ? e.message : String(e),
      });
      keys.set(base64, null);
    }
  }
  return keys.get(base64) ?? null;
}

function rejected(logger: Logger, reason: string, fields: Record<string, unknown> = {}): AppError {
  logger.warn('SendGrid webhook request rejected', { reason, ...fields });
  return AppError.unauthenticated(`Event webhook signature check failed: ${reason}`);
}

/**
 * Checks the Signed Event Webhook headers against the raw body, cheapest checks first (key set,
 * headers present, timestamp fresh) so unsigned floods cost no ECDSA work. Throws 401.
 */
function verify(runtime: Runtime, req: Request, raw: Buffer, logger: Logger): void {
  const keyText = runtime.config.notifications.sendgridWebhookPublicKey.trim();
  if (keyText === '') {
    logger.error(
      'SendGrid webhook rejected: SENDGRID_WEBHOOK_PUBLIC_KEY is not configured (every event is refused)',
    );
    throw AppError.unauthenticated('Event webhook signature verification is not configured');
  }
  const { EventWebhook, EventWebhookHeader } = eventWebhookLibrary();
  const signature = req.header(EventWebhookHeader.SIGNATURE());
  const timestamp = req.header(EventWebhookHeader.TIMESTAMP());
  if (signature === undefined || signature === '' || timestamp === undefined) {
    throw rejected(logger, 'missing signature headers');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw rejected(logger, 'malformed timestamp');
  const ageSeconds = Math.floor(runtime.deps.clock.now().getTime() / 1000) - Number(timestamp);
  if (Math.abs(ageSeconds) > SIGNATURE_MAX_SKEW_SECONDS) {
    throw rejected(logger, 'stale timestamp', { ageSeconds });
  }
  const key = publicKeyOf(keyText, logger);
  if (key === null) throw rejected(logger, 'verification key unusable');
  let valid = false;
  try {
    valid = new EventWebhook().verifySignature(key, raw, signature, timestamp);
  } catch {
    // starkbank-ecdsa throws on a signature that is not DER/base64: as bad as a wrong one.
    valid = false;
  }
  if (!valid) throw rejected(logger, 'invalid signature');
}

/**
 * The body bytes. Cloud Functions has read them already: they are on `req.rawBody` (and the
 * stream is consumed, so `express.raw` before this passed the request on untouched). Elsewhere
 * (tests, plain Node) `express.raw` read them into `req.body`, up to this route's own limit.
 */
function rawBodyOf(req: Request): Buffer {
  const given = (req as Request & { rawBody?: unknown }).rawBody;
  if (Buffer.isBuffer(given)) {
    if (given.length > SENDGRID_BODY_LIMIT_BYTES) {
      throw new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large');
    }
    return given;
  }
  const body: unknown = req.body;
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/**
 * `POST /webhooks/sendgrid/events`: SendGrid's Signed Event Webhook. No bearer token: the ECDSA
 * signature over `timestamp + raw body` (checked with SendGrid's `@sendgrid/eventwebhook`) is the
 * authority. Missing/invalid/stale signatures and an unset key → 401; a body that is not JSON →
 * 400; a valid batch → 200 with what it did, even when some events were unknown or malformed
 * (SendGrid retries anything but 2xx for 24 hours). Firestore failures → 5xx, so SendGrid
 * retries, and the retry is idempotent.
 *
 * Mounted before the JSON parser and the API's per-IP rate limit (see `app.ts`): it needs the
 * exact bytes and a larger limit, and SendGrid posts from a shared pool of addresses, up to
 * hundreds of times a second at volume. It has its own per-address limit
 * (`RATE_LIMIT_WEBHOOK_PER_MINUTE`), checked first: before the body is read (outside Cloud
 * Functions, whose framework has read it already) and before any signature work, so an
 * unauthenticated flood costs a counter in memory per request.
 */
export function sendgridWebhookRouter(runtime: Runtime): express.Router {
  const router = express.Router();
  router.post(
    SENDGRID_EVENTS_PATH,
    (req: Request, _res: Response, next: NextFunction) => {
      runtime.limiter
        .consume(`webhook:${clientIp(req, runtime.config.trustProxyHops)}`, {
          limit: runtime.config.rateLimit.webhookPerMinute,
          windowSeconds: 60,
        })
        .then(() => {
          next();
        }, next);
    },
    express.raw({ type: () => true, limit: SENDGRID_BODY_LIMIT_BYTES }),
    (req: Request, res: Response, next: NextFunction) => {
      const logger = requestLogger(res).child({ webhook: 'sendgrid' });
      void (async () => {
        const raw = rawBodyOf(req);
        verify(runtime, req, raw, logger);
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new AppError('MALFORMED_JSON', 'The request body is not valid JSON');
        }
        const summary = await recordSendGridEvents(
          runtime.deps.db,
          runtime.deps.clock,
          logger,
          body,
        );
        logger.info('SendGrid events recorded', { ...summary });
        res.status(200).json(summary);
      })().catch(next);
    },
  );
  return router;
}
