import type {
  DocumentData,
  DocumentSnapshot,
  FirestoreDataConverter,
  QueryDocumentSnapshot,
} from 'firebase-admin/firestore';
import type { z } from 'zod';

/**
 * A stored document that does not have the shape its collection's schema describes. The schemas
 * admit every document firestore.rules let a client write (and everything the server writes), so
 * this means a document written around both: it is reported, never silently used.
 */
export class InvalidDocumentError extends Error {
  constructor(
    readonly path: string,
    readonly issues: readonly { path: PropertyKey[]; message: string }[],
  ) {
    super(
      `${path} is not a valid document: ${issues
        .slice(0, 5)
        .map((i) => `${i.path.map(String).join('.') || '(root)'} ${i.message}`)
        .join('; ')}`,
    );
    this.name = 'InvalidDocumentError';
  }
}

/** A converter that also checks a snapshot read without it (`Firestore.getAll` is untyped). */
export interface CheckedConverter<T> extends FirestoreDataConverter<T> {
  /** The checked data of `snap`, undefined when the document does not exist. */
  read(snap: DocumentSnapshot): T | undefined;
}

/**
 * A converter whose reads are checked by `schema` (an invalid document throws
 * {@link InvalidDocumentError} on `.data()`), and whose writes pass the data through unchanged:
 * updates and transforms (`FieldValue`) are written exactly as before.
 */
export function checkedConverter<T>(schema: z.ZodType<T>): CheckedConverter<T> {
  const check = (path: string, data: DocumentData): T => {
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new InvalidDocumentError(path, parsed.error.issues);
    return parsed.data;
  };
  return {
    // Writes go through unchanged: the services build them typed (`satisfies XDoc`, `Partial<XDoc>`).
    toFirestore: (data) => data as DocumentData,
    fromFirestore: (snap: QueryDocumentSnapshot) => check(snap.ref.path, snap.data()),
    read: (snap) => {
      const data = snap.data();
      return data === undefined ? undefined : check(snap.ref.path, data);
    },
  };
}
