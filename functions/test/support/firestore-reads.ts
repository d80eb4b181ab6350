import { Firestore, Query, Transaction, type DocumentReference } from 'firebase-admin/firestore';

/**
 * Counts what one Firestore instance reads, by collection id, so a test can prove a feature reads
 * what it claims (e.g. "aggregations only, no task document"). It wraps — never replaces — the
 * Admin SDK's read paths, so the real server still answers:
 * - `Query#_get` (behind `Query#get` and `Transaction#get(query)`) and `Query#stream`;
 * - `Firestore#getAll` (behind `DocumentReference#get`) and `Transaction#get(docRef)` / `getAll`;
 * - `AggregateQuery#_get` (behind `AggregateQuery#get` and `Transaction#get(aggregateQuery)`).
 * `_get` is internal to @google-cloud/firestore; the counter's own test (in
 * test/integration/api.dashboard.test.ts) fails if an upgrade moves it.
 */
export interface ReadLog {
  /** Documents returned (found or not, as Firestore bills them) per collection id. */
  documents: Record<string, number>;
  /** Queries run (documents or aggregations) per collection id. */
  queries: Record<string, number>;
  /** Aggregation queries run per collection id. */
  aggregations: Record<string, number>;
  /** The most documents any one query returned. */
  maxDocumentsPerQuery: number;
}

export interface ReadCounter {
  log: ReadLog;
  reset(): void;
  /** Puts the SDK's methods back. */
  restore(): void;
}

type Fn = (...args: unknown[]) => unknown;
interface Internal {
  _firestore?: unknown;
  _query?: { _firestore?: unknown; _queryOptions?: { collectionId?: string } };
  _queryOptions?: { collectionId?: string };
}

function emptyLog(): ReadLog {
  return { documents: {}, queries: {}, aggregations: {}, maxDocumentsPerQuery: 0 };
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

export function countReads(db: Firestore): ReadCounter {
  const counter: ReadCounter = {
    log: emptyLog(),
    reset() {
      counter.log = emptyLog();
    },
    restore() {
      for (const undo of restores.reverse()) undo();
    },
  };
  const restores: (() => void)[] = [];
  const wrap = (proto: object, name: string, around: (original: Fn) => Fn) => {
    const target = proto as Record<string, Fn>;
    const original = target[name];
    if (typeof original !== 'function') throw new Error(`no ${name} to count reads with`);
    target[name] = around(original);
    restores.push(() => {
      target[name] = original;
    });
  };
  const docs = (collection: string, n: number) => {
    bump(counter.log.documents, collection, n);
    counter.log.maxDocumentsPerQuery = Math.max(counter.log.maxDocumentsPerQuery, n);
  };
  const refs = (args: unknown[]) =>
    args.filter(
      (a): a is DocumentReference =>
        typeof a === 'object' && a !== null && 'path' in a && 'parent' in a && 'firestore' in a,
    );

  wrap(
    Query.prototype,
    '_get',
    (original) =>
      async function (this: Internal, ...args: unknown[]) {
        const out = (await original.apply(this, args)) as { result: { size: number } };
        if (this._firestore === db) {
          const collection = this._queryOptions?.collectionId ?? '?';
          bump(counter.log.queries, collection);
          docs(collection, out.result.size);
        }
        return out;
      },
  );
  wrap(
    Query.prototype,
    'stream',
    (original) =>
      function (this: Internal, ...args: unknown[]) {
        const stream = original.apply(this, args) as NodeJS.ReadableStream;
        if (this._firestore === db) {
          const collection = this._queryOptions?.collectionId ?? '?';
          let n = 0;
          bump(counter.log.queries, collection);
          stream.on('data', () => {
            n++;
            bump(counter.log.documents, collection);
          });
          stream.on('end', () => {
            counter.log.maxDocumentsPerQuery = Math.max(counter.log.maxDocumentsPerQuery, n);
          });
        }
        return stream;
      },
  );
  const countRefs = function (this: Internal, args: unknown[], owner: unknown) {
    if (owner !== db) return;
    for (const ref of refs(args)) docs(ref.parent.id, 1);
  };
  wrap(
    Firestore.prototype,
    'getAll',
    (original) =>
      function (this: Firestore, ...args: unknown[]) {
        countRefs.call(this as Internal, args, this);
        return original.apply(this, args);
      },
  );
  for (const name of ['get', 'getAll']) {
    wrap(
      Transaction.prototype,
      name,
      (original) =>
        function (this: Internal, ...args: unknown[]) {
          countRefs.call(this, args, this._firestore);
          return original.apply(this, args);
        },
    );
  }
  const aggregateProto = Object.getPrototypeOf(db.collection('_').count()) as object;
  wrap(
    aggregateProto,
    '_get',
    (original) =>
      function (this: Internal, ...args: unknown[]) {
        if (this._query?._firestore === db) {
          const collection = this._query._queryOptions?.collectionId ?? '?';
          bump(counter.log.aggregations, collection);
          bump(counter.log.queries, collection);
        }
        return original.apply(this, args);
      },
  );
  return counter;
}
