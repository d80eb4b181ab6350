import { createHash, randomUUID } from 'node:crypto';
import { FieldValue, Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../core/clock';
import { AppError } from '../core/errors';
import type { Logger } from '../core/logger';
import { RATE_LIMITS } from '../storage/collections';

export interface RateLimitRule {
  /** Requests allowed per window; 0 disables the rule. */
  limit: number;
  windowSeconds: number;
}

/** Port: counts one request against `key` and throws 429 when the rule's limit is exceeded. */
export interface RateLimiter {
  consume(key: string, rule: RateLimitRule): Promise<void>;
}

export interface FirestoreRateLimiterOptions {
  /**
   * How often one instance publishes a key's count and reads the others' (ms). Default 1,100: a
   * margin over one second, so millisecond clock resolution and the time between reading the clock
   * and issuing the write never put two writes of one document under a second apart.
   */
  syncIntervalMs?: number;
  /** Keys tracked in memory at most; the least recently used are forgotten. Default 10,000. */
  maxKeys?: number;
  /** This instance's id in document ids; random by default (one per process). */
  instanceId?: string;
}

/** The adapter, plus what tests and benchmarks need to observe it. */
export interface FirestoreRateLimiter extends RateLimiter {
  /** Resolves when every publication started so far has finished. */
  settled(): Promise<void>;
  /** Keys currently held in memory. */
  trackedKeys(): number;
}

interface KeyState {
  windowStart: number;
  /** This instance's requests in the window, and how many of them Firestore has. */
  counted: number;
  published: number;
  /** Sum of the other instances' counts for the window, as last read. */
  others: number;
  /** When this instance last published the key (ms); -Infinity before the first time. */
  syncedAt: number;
  syncing: Promise<void> | undefined;
  /** Token bucket: capacity `limit`, refilled at `limit / window`. */
  tokens: number;
  refilledAt: number;
}

/**
 * A rate limiter that holds at hundreds of requests per second per key without a hot document:
 *
 * 1. **Per instance, exact**: a token bucket per key (capacity = the limit, refilled at limit per
 *    window) and this instance's count in the fixed window. Decided in memory, no I/O.
 * 2. **Across instances, coarse**: each instance publishes its own count for a key and window to
 *    its own document (`rateLimits/{hash(key)}_{window}_{instance}`) at most once per
 *    `syncIntervalMs`, and reads the other instances' documents for the same key and window in the
 *    same step (a single-field equality query on `bucket`). A request is refused when this
 *    instance's count plus the others' last known counts reaches the limit. Every document has one
 *    writer writing at most once a second — under Firestore's sustained 1 write/s per document —
 *    whatever the request rate. The first request of a key in a window waits for that step (so a
 *    new instance starts from what the others have used); later steps run beside the requests.
 *    The shared bound lags by at most one interval: the overshoot is bounded by what the other
 *    instances admitted in their last second.
 *
 * Errors are handled deliberately: when Firestore fails, the shared bound is skipped (fail open)
 * but the per-instance bound still holds (each instance admits at most the limit) and a warning
 * is logged — a Firestore blip must not take the API down, nor leave it unlimited.
 *
 * Documents carry `expireAt` for the Firestore TTL policy declared in firestore.indexes.json;
 * keys are hashed, so no user id or IP is stored.
 */
export function firestoreRateLimiter(
  db: Firestore,
  clock: Clock,
  logger: Logger,
  options: FirestoreRateLimiterOptions = {},
): FirestoreRateLimiter {
  const syncIntervalMs = options.syncIntervalMs ?? 1100;
  const maxKeys = options.maxKeys ?? 10_000;
  const instanceId = options.instanceId ?? randomUUID().replaceAll('-', '').slice(0, 16);
  const states = new Map<string, KeyState>();
  const inFlight = new Set<Promise<void>>();
  let lastWarningAt = -Infinity;

  const warn = (e: unknown, nowMs: number): void => {
    // One line a minute at most: an outage must not multiply its cost by the request rate.
    if (nowMs - lastWarningAt < 60_000) return;
    lastWarningAt = nowMs;
    logger.warn('Rate limiter: Firestore unavailable; shared bound skipped, per-instance kept', {
      error: String(e),
    });
  };

  /** Publishes this instance's count and reads the others'; never throws. */
  const sync = (key: string, state: KeyState, windowMs: number, nowMs: number): Promise<void> => {
    const bucket = `${createHash('sha256').update(key).digest('hex').slice(0, 32)}_${state.windowStart}`;
    const delta = state.counted - state.published;
    const windowStart = state.windowStart;
    state.syncedAt = nowMs;
    const expireAt = Timestamp.fromMillis(windowStart + windowMs + 3_600_000);
    const run = (async () => {
      try {
        const [, others] = await Promise.all([
          delta !== 0
            ? db
                .collection(RATE_LIMITS)
                .doc(`${bucket}_${instanceId}`)
                .set({ bucket, count: FieldValue.increment(delta), expireAt }, { merge: true })
            : Promise.resolve(),
          db.collection(RATE_LIMITS).where('bucket', '==', bucket).get(),
        ]);
        if (state.windowStart !== windowStart) return;
        state.published += delta;
        let sum = 0;
        for (const doc of others.docs) {
          if (doc.id.endsWith(`_${instanceId}`)) continue;
          const count: unknown = doc.get('count');
          if (typeof count === 'number') sum += count;
        }
        state.others = sum;
      } catch (e) {
        warn(e, nowMs);
      }
    })();
    state.syncing = run;
    inFlight.add(run);
    void run.finally(() => {
      inFlight.delete(run);
      if (state.syncing === run) state.syncing = undefined;
    });
    return run;
  };

  const stateOf = (id: string, rule: RateLimitRule, nowMs: number): KeyState => {
    let state = states.get(id);
    if (state === undefined) {
      state = {
        windowStart: -1,
        counted: 0,
        published: 0,
        others: 0,
        syncedAt: -Infinity,
        syncing: undefined,
        tokens: rule.limit,
        refilledAt: nowMs,
      };
      if (states.size >= maxKeys) {
        // Map order is insertion order and hits re-insert: the first key is the least recent.
        const oldest = states.keys().next().value;
        if (oldest !== undefined) states.delete(oldest);
      }
    } else {
      states.delete(id);
    }
    states.set(id, state);
    return state;
  };

  return {
    async consume(key, rule) {
      if (rule.limit <= 0) return;
      const nowMs = clock.now().getTime();
      const windowMs = rule.windowSeconds * 1000;
      const windowStart = Math.floor(nowMs / windowMs) * windowMs;
      const state = stateOf(`${rule.limit}/${rule.windowSeconds}:${key}`, rule, nowMs);

      state.tokens = Math.min(
        rule.limit,
        state.tokens + ((nowMs - state.refilledAt) * rule.limit) / windowMs,
      );
      state.refilledAt = nowMs;
      let first = false;
      if (state.windowStart !== windowStart) {
        state.windowStart = windowStart;
        state.counted = 0;
        state.published = 0;
        state.others = 0;
        first = true;
      }

      const windowRetry = Math.ceil((windowStart + windowMs - nowMs) / 1000);
      if (state.counted + state.others >= rule.limit) throw limited(rule, windowRetry);
      if (state.tokens < 1) {
        throw limited(rule, Math.ceil(((1 - state.tokens) * windowMs) / rule.limit / 1000));
      }
      state.tokens -= 1;
      state.counted += 1;

      if (first) {
        // The key's first request in this window publishes itself and learns what the other
        // instances have used before it is let through.
        await sync(key, state, windowMs, nowMs);
        if (state.windowStart === windowStart && state.counted + state.others > rule.limit) {
          state.tokens += 1;
          state.counted -= 1;
          throw limited(rule, windowRetry);
        }
      } else if (nowMs - state.syncedAt >= syncIntervalMs && state.syncing === undefined) {
        void sync(key, state, windowMs, nowMs);
      }
    },
    async settled() {
      await Promise.all([...inFlight]);
    },
    trackedKeys: () => states.size,
  };
}

function limited(rule: RateLimitRule, retryAfterSeconds: number): AppError {
  return new AppError(
    'RATE_LIMITED',
    'Too many requests. Please try again later.',
    { limit: rule.limit, windowSeconds: rule.windowSeconds },
    Math.max(1, retryAfterSeconds),
  );
}
