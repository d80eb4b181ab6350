import { AppError } from './errors';
import { isDocumentId, TIMESTAMP_MAX_SECONDS, TIMESTAMP_MIN_SECONDS } from './firestore-limits';

/**
 * The opaque page cursor of a listing ordered by one timestamp then the document id: the exact
 * timestamp as [seconds, nanoseconds] (a Date would lose the nanoseconds and repeat or skip items)
 * and the id of the page's last item, as base64url JSON.
 */
export interface TimestampCursor {
  v: [number, number];
  id: string;
}

export function encodeTimestampCursor(
  at: { seconds: number; nanoseconds: number },
  id: string,
): string {
  const c: TimestampCursor = { v: [at.seconds, at.nanoseconds], id };
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/** A 400 naming `cursor`. */
export function badCursor(): AppError {
  return AppError.validation([{ field: 'cursor', message: 'is not a cursor from this listing' }]);
}

/**
 * Whether `v` is [seconds, nanoseconds] of an instant a Firestore Timestamp can hold (a tampered
 * cursor with anything else would make the Timestamp constructor throw).
 */
export function isTimestampParts(v: unknown): v is [number, number] {
  if (!Array.isArray(v) || v.length !== 2) return false;
  const [seconds, nanos] = v as unknown[];
  return (
    Number.isInteger(seconds) &&
    Number.isInteger(nanos) &&
    (seconds as number) >= TIMESTAMP_MIN_SECONDS &&
    (seconds as number) <= TIMESTAMP_MAX_SECONDS &&
    (nanos as number) >= 0 &&
    (nanos as number) <= 999_999_999
  );
}

/** Whether `id` can be the document id a cursor starts after (Firestore refuses anything else). */
export function isCursorId(id: unknown): id is string {
  return typeof id === 'string' && isDocumentId(id);
}

/** The cursor in `raw`, or a 400 naming `cursor` when it is not one of ours. */
export function decodeTimestampCursor(raw: string): TimestampCursor {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    c = undefined;
  }
  if (
    typeof c !== 'object' ||
    c === null ||
    !('v' in c && 'id' in c) ||
    !isCursorId(c.id) ||
    !isTimestampParts(c.v)
  ) {
    throw badCursor();
  }
  return c as TimestampCursor;
}
