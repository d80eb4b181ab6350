import { z } from 'zod';
import type { Timestamp } from 'firebase-admin/firestore';
import {
  isDocumentId,
  TIMESTAMP_MAX_SECONDS,
  TIMESTAMP_MIN_SECONDS,
} from '../core/firestore-limits';

export { isDocumentId } from '../core/firestore-limits';

/** A Firestore document id chosen by the server or a client ({@link isDocumentId}). */
export const docId = z
  .string()
  .min(1)
  .max(128)
  .refine(isDocumentId, 'must be a document id (no "/", not "." or "..", not __reserved__)');

export const uid = docId.meta({ description: 'Firebase Auth uid', example: 'user_123' });

/** ISO-8601 instant with an offset (`Z` or `+05:30`), as every API date is; years 0001–9999. */
export const isoInstant = z.iso
  .datetime({ offset: true })
  .refine((s) => {
    const seconds = Math.floor(Date.parse(s) / 1000);
    return seconds >= TIMESTAMP_MIN_SECONDS && seconds <= TIMESTAMP_MAX_SECONDS;
  }, 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z')
  .meta({ example: '2026-12-31T23:59:59Z', description: 'ISO-8601 instant (stored in UTC)' });

export function iso(ts: Timestamp | null | undefined): string | null {
  return ts === null || ts === undefined ? null : ts.toDate().toISOString();
}

/** What a read answers for a timestamp a stored document lacks. */
export const EPOCH = '1970-01-01T00:00:00.000Z';
