import type { QueryShape } from '../../src/core/query-shape';

export interface IndexField {
  fieldPath: string;
  order?: 'ASCENDING' | 'DESCENDING';
  arrayConfig?: 'CONTAINS';
}
export interface CompositeIndex {
  collectionGroup: string;
  queryScope: 'COLLECTION' | 'COLLECTION_GROUP';
  fields: IndexField[];
}

const dir = (d: 'asc' | 'desc') => (d === 'asc' ? 'ASCENDING' : 'DESCENDING');

function sortSuffix(shape: QueryShape): [string, 'asc' | 'desc'][] {
  const order = shape.orderBy.map(([f, d]) => [f, d] as [string, 'asc' | 'desc']);
  if (shape.range !== undefined && order[0]?.[0] !== shape.range)
    order.unshift([shape.range, 'asc']);
  return order;
}

/** Does `index` hold exactly these equality fields (any order), then exactly this sort? */
function indexServes(
  index: CompositeIndex,
  collection: string,
  equals: readonly string[],
  arrayContains: string | undefined,
  suffix: [string, 'asc' | 'desc'][],
): boolean {
  if (index.collectionGroup !== collection || index.queryScope !== 'COLLECTION') return false;
  const head = index.fields.slice(0, index.fields.length - suffix.length);
  const tail = index.fields.slice(index.fields.length - suffix.length);
  const headOk =
    head.length === equals.length + (arrayContains === undefined ? 0 : 1) &&
    equals.every((e) => head.some((f) => f.fieldPath === e && f.arrayConfig === undefined)) &&
    (arrayContains === undefined ||
      head.some((f) => f.fieldPath === arrayContains && f.arrayConfig === 'CONTAINS'));
  const tailOk = suffix.every(
    ([f, d], i) => tail.at(i)?.fieldPath === f && tail.at(i)?.order === dir(d),
  );
  return headOk && tailOk;
}

/**
 * Whether Firestore can serve `shape` with `indexes`, by these rules (from Firestore's index
 * documentation):
 * 1. automatic single-field indexes: at most one field involved in filters and sort together, or
 *    equality filters only (merged automatically);
 * 2. a composite index: the equality / array-contains fields (any order), then the sort fields in
 *    order and direction (the range field sorts first);
 * 3. index merging: several equality filters with a sort, each equality field covered by a
 *    composite index of some equality fields followed by the same sort (no array-contains).
 */
export function isServed(shape: QueryShape, indexes: readonly CompositeIndex[]): boolean {
  const suffix = sortSuffix(shape);
  if (shape.scope === 'collectionGroup') {
    // Automatic indexes and index merging are collection-scoped: a collection-group query needs
    // a composite index of its own scope.
    return indexes.some(
      (ix) =>
        ix.queryScope === 'COLLECTION_GROUP' &&
        indexServes(
          { ...ix, queryScope: 'COLLECTION' },
          shape.collection,
          shape.equals,
          shape.arrayContains,
          suffix,
        ),
    );
  }
  const fields = new Set([
    ...shape.equals,
    ...(shape.arrayContains ? [shape.arrayContains] : []),
    ...suffix.map(([f]) => f),
  ]);
  if (fields.size <= 1) return true;
  if (suffix.length === 0 && shape.arrayContains === undefined) return true;
  if (
    indexes.some((ix) =>
      indexServes(ix, shape.collection, shape.equals, shape.arrayContains, suffix),
    )
  )
    return true;
  if (shape.arrayContains !== undefined || shape.equals.length < 2) return false;
  return shape.equals.every((e) =>
    indexes.some(
      (ix) =>
        ix.collectionGroup === shape.collection &&
        ix.queryScope === 'COLLECTION' &&
        ix.fields.slice(0, ix.fields.length - suffix.length).some((f) => f.fieldPath === e) &&
        ix.fields
          .slice(0, ix.fields.length - suffix.length)
          .every((f) => shape.equals.includes(f.fieldPath) && f.arrayConfig === undefined) &&
        indexServes(
          ix,
          shape.collection,
          ix.fields.slice(0, ix.fields.length - suffix.length).map((f) => f.fieldPath),
          undefined,
          suffix,
        ),
    ),
  );
}

/** Could `index` take part in serving `shape` (exactly, or as one side of a merge)? */
export function canHelp(index: CompositeIndex, shape: QueryShape): boolean {
  const suffix = sortSuffix(shape);
  const head = index.fields.slice(0, index.fields.length - suffix.length);
  const tail = index.fields.slice(index.fields.length - suffix.length);
  return (
    index.collectionGroup === shape.collection &&
    (index.queryScope === 'COLLECTION_GROUP') === (shape.scope === 'collectionGroup') &&
    head.length > 0 &&
    head.every((f) =>
      f.arrayConfig === 'CONTAINS'
        ? f.fieldPath === shape.arrayContains
        : shape.equals.includes(f.fieldPath),
    ) &&
    suffix.every(([f, d], i) => tail.at(i)?.fieldPath === f && tail.at(i)?.order === dir(d))
  );
}
