import { FieldPath, type Query } from 'firebase-admin/firestore';

/**
 * The shape of a Firestore query the code runs: which fields it filters on and how it orders.
 * Queries are built FROM their shape ({@link applyShape}), and every module exports the shapes it
 * can produce, so a test can check each one against `firestore.indexes.json` — a query without
 * its index fails in production only, at run time, with FAILED_PRECONDITION.
 */
export interface QueryShape {
  /** Collection id (collection scope). */
  collection: string;
  /**
   * `collectionGroup`: the query runs over every collection with that id (`db.collectionGroup`),
   * which needs indexes of that scope — Firestore's automatic indexes are collection-scoped.
   */
  scope?: 'collection' | 'collectionGroup';
  /**
   * Fields compared with `==` (including `== null`), or with `in` when the value is given in
   * {@link ShapeValues.oneOf}: an `in` filter needs the same index as `==`.
   */
  equals: readonly string[];
  /** A field compared with `array-contains`. */
  arrayContains?: string;
  /** A field with `<`, `<=`, `>`, `>=` (it must also be the first orderBy). */
  range?: string;
  /** Sort order; the document id is always the final tiebreaker, in the last field's direction. */
  orderBy: readonly (readonly [field: string, direction: 'asc' | 'desc'])[];
}

export interface ShapeValues {
  equals: Readonly<Record<string, unknown>>;
  /** Equality fields matched against a list of values (`in`) instead of one value. */
  oneOf?: Readonly<Record<string, readonly unknown[]>>;
  arrayContains?: unknown;
  range?: { from?: unknown; to?: unknown };
}

/** Builds the query `shape` describes over `base` with the given values. */
export function applyShape<T>(base: Query<T>, shape: QueryShape, values: ShapeValues): Query<T> {
  let q = base;
  for (const field of shape.equals) {
    const anyOf = values.oneOf?.[field];
    q =
      anyOf === undefined
        ? q.where(field, '==', values.equals[field] ?? null)
        : q.where(field, 'in', anyOf);
  }
  if (shape.arrayContains !== undefined) {
    q = q.where(shape.arrayContains, 'array-contains', values.arrayContains);
  }
  if (shape.range !== undefined && values.range !== undefined) {
    if (values.range.from !== undefined) q = q.where(shape.range, '>=', values.range.from);
    if (values.range.to !== undefined) q = q.where(shape.range, '<', values.range.to);
  }
  for (const [field, direction] of shape.orderBy) q = q.orderBy(field, direction);
  const last = shape.orderBy[shape.orderBy.length - 1];
  if (last !== undefined) q = q.orderBy(FieldPath.documentId(), last[1]);
  return q;
}
