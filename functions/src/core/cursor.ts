import { AppError } from './errors';

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
    typeof c.id !== 'string' ||
    !(Array.isArray(c.v) && c.v.length === 2 && c.v.every((n) => Number.isInteger(n)))
  ) {
    throw AppError.validation([{ field: 'cursor', message: 'is not a cursor from this listing' }]);
  }
  return c as TimestampCursor;
}
