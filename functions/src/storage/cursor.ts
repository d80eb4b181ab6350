import { AppError } from '../core/errors';
import {
  isDocumentId,
  TIMESTAMP_MAX_SECONDS,
  TIMESTAMP_MIN_SECONDS,
} from '../core/firestore-limits';

/**
 * The opaque page cursor of a listing ordered by one timestamp field then the document id, as
 * base64url JSON: the exact timestamp as [seconds, nanoseconds] (a Date would lose the
 * nanoseconds and repeat or skip items) and the id of the page's last item. A listing with a
 * choice of sort fields also names the field (`s`), so a cursor of one order is refused by the
 * other; its sort value may be null (documents without it sort first in Firestore).
 */
export interface TimestampCursor {
  v: [number, number];
  id: string;
}

/** The cursor of a listing sorted by `s` (whose value may be null). */
export interface SortCursor<S extends string> {
  s: S;
  v: [number, number] | null;
  id: string;
}

type Instant = { seconds: number; nanoseconds: number };

const parts = (at: Instant): [number, number] => [at.seconds, at.nanoseconds];
const encode = (c: object): string => Buffer.from(JSON.stringify(c)).toString('base64url');

export function encodeTimestampCursor(at: Instant, id: string): string {
  return encode({ v: parts(at), id } satisfies TimestampCursor);
}

export function encodeSortCursor(sort: string, at: Instant | null, id: string): string {
  return encode({ s: sort, v: at === null ? null : parts(at), id } satisfies SortCursor<string>);
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
    typeof seconds === 'number' &&
    typeof nanos === 'number' &&
    Number.isInteger(seconds) &&
    Number.isInteger(nanos) &&
    seconds >= TIMESTAMP_MIN_SECONDS &&
    seconds <= TIMESTAMP_MAX_SECONDS &&
    nanos >= 0 &&
    nanos <= 999_999_999
  );
}

/** Whether `id` can be the document id a cursor starts after (Firestore refuses anything else). */
export function isCursorId(id: unknown): id is string {
  return typeof id === 'string' && isDocumentId(id);
}

/** The JSON object in `raw`, or a 400 naming `cursor`. */
function parse(raw: string): object {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (typeof c !== 'object' || c === null) throw badCursor();
  return c;
}

/** The cursor in `raw`, or a 400 naming `cursor` when it is not one of ours. */
export function decodeTimestampCursor(raw: string): TimestampCursor {
  const c = parse(raw);
  if (!('v' in c && 'id' in c) || !isCursorId(c.id) || !isTimestampParts(c.v)) {
    throw badCursor();
  }
  return { v: c.v, id: c.id };
}

/** The cursor in `raw` of the listing sorted by `sort`, or a 400 naming `cursor`. */
export function decodeSortCursor<S extends string>(raw: string, sort: S): SortCursor<S> {
  const c = parse(raw);
  if (
    !('s' in c && 'v' in c && 'id' in c) ||
    c.s !== sort ||
    !isCursorId(c.id) ||
    (c.v !== null && !isTimestampParts(c.v))
  ) {
    throw badCursor();
  }
  return { s: sort, v: c.v, id: c.id };
}
