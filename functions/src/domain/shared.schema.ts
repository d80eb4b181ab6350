import { z } from 'zod';
import type { Timestamp } from 'firebase-admin/firestore';

/** A Firestore document id chosen by the server or a client (no slashes, not `.`/`..`). */
export const docId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^(?!\.\.?$)[^/]+$/, 'must be a document id');

export const uid = docId.meta({ description: 'Firebase Auth uid', example: 'user_123' });

/** ISO-8601 instant with an offset (`Z` or `+05:30`), as every API date is. */
export const isoInstant = z.iso
  .datetime({ offset: true })
  .meta({ example: '2026-12-31T23:59:59Z', description: 'ISO-8601 instant (stored in UTC)' });

export function iso(ts: Timestamp | null | undefined): string | null {
  return ts === null || ts === undefined ? null : ts.toDate().toISOString();
}
