import { isWellFormedText } from './validation';

/**
 * What Firestore refuses, checked before a request gets that far (a refusal from Firestore would
 * otherwise surface as a 500): document ids and the range of a Timestamp.
 */

/**
 * Whether Firestore accepts `id` as a document id: not empty, no `/`, not `.` or `..`, not
 * `__reserved__`, well-formed Unicode, at most 1500 bytes (our ids are at most 128 characters,
 * so at most 512 bytes).
 */
export function isDocumentId(id: string): boolean {
  return (
    id.length >= 1 &&
    id.length <= 128 &&
    !id.includes('/') &&
    id !== '.' &&
    id !== '..' &&
    !/^__[\s\S]*__$/.test(id) &&
    isWellFormedText(id)
  );
}

/** Seconds of the first and last instants a Timestamp holds (0001-01-01 to 9999-12-31 UTC). */
export const TIMESTAMP_MIN_SECONDS = -62_135_596_800;
export const TIMESTAMP_MAX_SECONDS = 253_402_300_799;
