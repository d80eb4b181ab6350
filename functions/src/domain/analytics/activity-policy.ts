import { z } from 'zod';
import { AppError } from '../../core/errors';
import { parseOrThrow } from '../../core/validation';
import { MAX_EVENT_DATA_BYTES, eventDataSchema, isEventType } from './activity.schema';

/**
 * What an activity event may carry and how long it is kept: the retention setting and each
 * event's expiry (the TTL field), and the check of a client event's data (size, shape for its
 * type, storable in Firestore). Pure: the service stores what passes.
 */

/** Days an activity document is kept before Firestore's TTL policy deletes it. */
export const DEFAULT_RETENTION_DAYS = 400;
export const MAX_RETENTION_DAYS = 3650;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface AnalyticsOptions {
  /** `ANALYTICS_RETENTION_DAYS`; {@link DEFAULT_RETENTION_DAYS} when absent. */
  retentionDays?: number | undefined;
}

export function retentionOf(options: AnalyticsOptions): number {
  const days = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new RangeError(
      `ANALYTICS_RETENTION_DAYS must be an integer from 1 to ${MAX_RETENTION_DAYS}`,
    );
  }
  return days;
}

/** When an event that happened at `at` expires (its `expireAt`, the TTL field). */
export function expiryOf(at: Date, retentionDays: number): Date {
  return new Date(at.getTime() + retentionDays * DAY_MS);
}

/** Firestore nests maps at most 20 deep; custom event data stays well inside that. */
const MAX_EVENT_DATA_DEPTH = 8;

/**
 * The first place where `value` could not be stored in Firestore as given (nested arrays,
 * reserved `__x__` keys, too deep), as a dotted path — a 400 naming it instead of a 500.
 */
function unstorableAt(value: unknown, path: string, depth: number): string | null {
  if (depth > MAX_EVENT_DATA_DEPTH) return path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (Array.isArray(item)) return `${path}.${i}`;
      const bad = unstorableAt(item, `${path}.${i}`, depth + 1);
      if (bad !== null) return bad;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '' || /^__.*__$/.test(key)) return `${path}.${key}`;
      const bad = unstorableAt(item, `${path}.${key}`, depth + 1);
      if (bad !== null) return bad;
    }
  }
  return null;
}

/**
 * Validates `eventData` for `eventType`: its size as JSON first (413 naming `eventData`), then
 * its shape for the type (400 naming the field, e.g. `eventData.taskId`).
 */
export function validateEventData(
  eventType: string,
  eventData: Record<string, unknown>,
): Record<string, unknown> {
  if (!isEventType(eventType)) {
    throw AppError.validation([{ field: 'eventType', message: 'Unknown event type' }]);
  }
  const bytes = Buffer.byteLength(JSON.stringify(eventData), 'utf8');
  if (bytes > MAX_EVENT_DATA_BYTES) {
    const message = `must be at most ${MAX_EVENT_DATA_BYTES} bytes as JSON (got ${bytes})`;
    throw new AppError('PAYLOAD_TOO_LARGE', `eventData: ${message}`, [
      { field: 'eventData', message },
    ]);
  }
  const { eventData: parsed } = parseOrThrow(z.object({ eventData: eventDataSchema(eventType) }), {
    eventData,
  }) as { eventData: Record<string, unknown> };
  const bad = unstorableAt(parsed, 'eventData', 1);
  if (bad !== null) {
    throw AppError.validation([
      {
        field: bad,
        message: `cannot be stored (no arrays in arrays, no __reserved__ keys, at most ${MAX_EVENT_DATA_DEPTH} levels)`,
      },
    ]);
  }
  return parsed;
}
