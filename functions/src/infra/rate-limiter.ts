import { createHash } from 'node:crypto';
import { FieldValue, Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../core/clock';
import { AppError } from '../core/errors';
import type { Logger } from '../core/logger';

export const RATE_LIMITS = 'rateLimits';

export interface RateLimitRule {
  /** Requests allowed per window; 0 disables the rule. */
  limit: number;
  windowSeconds: number;
}

/** Port: counts one request against `key` and throws 429 when the rule's limit is exceeded. */
export interface RateLimiter {
  consume(key: string, rule: RateLimitRule): Promise<void>;
}

/**
 * A fixed-window limiter shared by every instance: one Firestore document per key and window,
 * bumped with an atomic `increment` and read back (1 write + 1 read per request). Increments are
 * atomic on real Firestore and on the embedded emulator alike, so concurrent requests never
 * under-count, with no transaction contention on a hot key. Documents carry `expireAt` for the
 * Firestore TTL policy declared in firestore.indexes.json.
 *
 * If Firestore itself fails, the limiter lets the request through and logs a warning: the
 * limiter must not turn a Firestore blip into a full outage of the API.
 */
export function firestoreRateLimiter(db: Firestore, clock: Clock, logger: Logger): RateLimiter {
  return {
    async consume(key, rule) {
      if (rule.limit <= 0) return;
      const nowMs = clock.now().getTime();
      const windowMs = rule.windowSeconds * 1000;
      const windowStart = Math.floor(nowMs / windowMs) * windowMs;
      const id = `${createHash('sha256').update(key).digest('hex').slice(0, 32)}_${windowStart}`;
      const ref = db.collection(RATE_LIMITS).doc(id);
      let count: number;
      try {
        await ref.set(
          {
            count: FieldValue.increment(1),
            expireAt: Timestamp.fromMillis(windowStart + windowMs + 3_600_000),
          },
          { merge: true },
        );
        count = ((await ref.get()).get('count') as number | undefined) ?? 1;
      } catch (e) {
        logger.warn('Rate limiter unavailable; request allowed', { error: String(e) });
        return;
      }
      if (count > rule.limit) {
        const retryAfter = Math.max(1, Math.ceil((windowStart + windowMs - nowMs) / 1000));
        throw new AppError(
          'RATE_LIMITED',
          'Too many requests. Please try again later.',
          { limit: rule.limit, windowSeconds: rule.windowSeconds },
          retryAfter,
        );
      }
    },
  };
}
