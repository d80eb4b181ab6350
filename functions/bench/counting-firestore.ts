import { createRequire } from 'node:module';
import { Timestamp } from 'firebase-admin/firestore';
import type { SeedWriter } from './support';
import {
  FirestoreServer,
  FirestoreStateCollection,
  FirestoreStateDocument,
} from '@firestore-emulator/server';

/**
 * The embedded Firestore server (@firestore-emulator/server, as `scripts/embedded-firestore.cjs`
 * starts it for the tests) run inside the benchmark's process, with its gRPC handlers wrapped so
 * that document reads and writes are counted where the server answers them — what the Admin SDK
 * really asked for, not an estimate from the engine's code.
 *
 * What the Admin SDK uses, and how it is counted:
 * - `doc.get()` and `db.getAll()` → `BatchGetDocuments`: one `found` response per document that
 *   exists, one `missing` response per document that does not;
 * - `query.get()` → `RunQuery`: one response with a `document` per document returned; a query that
 *   returns nothing still answers once (Firestore bills it as one read);
 * - `count()`/`sum()`/`avg()` → `RunAggregationQuery`: counted per call;
 * - `create()`, `update()`, `set()`, `delete()`, batches and transactions → `Commit`: every write of
 *   a Commit that succeeded, by kind (create = "must not exist" precondition, update = "must
 *   exist", set = no precondition, delete). A Commit the server rejects (e.g. `create()` of a
 *   document that is already there: ALREADY_EXISTS) writes nothing; its writes are counted apart.
 * The server's `GetDocument` and `BatchWrite` are unimplemented (the Admin SDK does not call them
 * for these operations); any call to them or to another method is counted by name in `rpcs`.
 *
 * The handlers run synchronously on this process's event loop, so the CPU time spent in them is
 * measured too (`serverCpuMs`): it is the emulator's own cost, which real Firestore does not put
 * on the function's CPU. Measuring it costs two `process.cpuUsage()` calls per RPC (a getrusage
 * over every thread of the process, about a sixth of the server's own CPU per call on a 2-core
 * machine); a benchmark that does not report it passes `measureCpu: false`.
 *
 * Storage: the server keeps each collection as one immer-produced, auto-frozen object, so adding a
 * document copies (and re-freezes) the whole collection — O(collection size) per new document,
 * about 8 ms at 5,000 documents and 20 ms at 15,000 on this machine. Seeding 20,000 token-index
 * documents, or 20,000 delivery records per run, then costs the emulator minutes and its Commits
 * pass the SDK's 60 s deadline. With `inPlaceStorage` (the default of the benchmark) a new document
 * is added to its collection in place instead; what is stored, returned and rejected is unchanged,
 * only the emulator's cost of growing a collection is gone.
 */

export interface FirestoreCounts {
  /** gRPC calls by method name (BatchGetDocuments, RunQuery, Commit, BeginTransaction, …). */
  rpcs: Record<string, number>;
  /** Documents returned by BatchGetDocuments (`found`). */
  lookupsFound: number;
  /** Document lookups that answered `missing` (the document does not exist). */
  lookupsMissing: number;
  /** Documents returned by RunQuery. */
  queryDocuments: number;
  /** RunQuery calls that returned no document (Firestore's minimum charge: one read each). */
  emptyQueries: number;
  /** RunAggregationQuery calls. */
  aggregationQueries: number;
  /** Writes of successful Commits, by kind. */
  creates: number;
  updates: number;
  sets: number;
  deletes: number;
  /** Commits the server rejected, and the writes they carried (nothing was written). */
  rejectedCommits: number;
  rejectedWrites: number;
  /**
   * CPU milliseconds spent inside the server's handlers (they run synchronously on this event
   * loop; CPU, not wall time, so other processes on a shared machine do not inflate it). Stays 0
   * when the server was started with `measureCpu: false`.
   */
  serverCpuMs: number;
}

export function emptyCounts(): FirestoreCounts {
  return {
    rpcs: {},
    lookupsFound: 0,
    lookupsMissing: 0,
    queryDocuments: 0,
    emptyQueries: 0,
    aggregationQueries: 0,
    creates: 0,
    updates: 0,
    sets: 0,
    deletes: 0,
    rejectedCommits: 0,
    rejectedWrites: 0,
    serverCpuMs: 0,
  };
}

/** Documents the caller received: existing documents looked up plus documents queries returned. */
export function documentsRead(c: FirestoreCounts): number {
  return c.lookupsFound + c.queryDocuments;
}

/** Writes that changed the database (creates, updates, sets and deletes of successful Commits). */
export function documentsWritten(c: FirestoreCounts): number {
  return c.creates + c.updates + c.sets + c.deletes;
}

// ------------------------------------------------------------------------------------------------
// The parts of grpc-js and of the server's protobuf messages the counters look at.

type Callback = (err: unknown, value?: unknown, ...rest: unknown[]) => void;

interface Call {
  request: unknown;
  write: (message: unknown, ...rest: unknown[]) => boolean;
}

interface Handler {
  func: (call: Call, callback?: Callback) => void;
  type: string;
  path: string;
}

interface GrpcServer {
  handlers: Map<string, Handler>;
  bindAsync(
    address: string,
    credentials: unknown,
    callback: (err: Error | null, port: number) => void,
  ): void;
  forceShutdown(): void;
}

interface GrpcModule {
  ServerCredentials: { createInsecure(): unknown };
}

interface WriteMessage {
  has_delete: boolean;
  has_update: boolean;
  has_current_document: boolean;
  current_document: { has_exists: boolean; exists: boolean };
}

const SERVICE = '/google.firestore.v1.Firestore/';

function classify(write: WriteMessage): 'creates' | 'updates' | 'sets' | 'deletes' {
  if (write.has_delete) return 'deletes';
  if (write.has_current_document && write.current_document.has_exists)
    return write.current_document.exists ? 'updates' : 'creates';
  return 'sets';
}

/** Wraps every handler of the server: counts per method, and documents/writes where they pass. */
function instrument(server: GrpcServer, counts: () => FirestoreCounts, measureCpu: boolean): void {
  for (const [path, handler] of server.handlers) {
    const method = path.startsWith(SERVICE) ? path.slice(SERVICE.length) : path;
    const original = handler.func;
    handler.func = (call, callback) => {
      const c = counts();
      c.rpcs[method] = (c.rpcs[method] ?? 0) + 1;
      if (method === 'BatchGetDocuments') {
        const write = call.write.bind(call);
        call.write = (message, ...rest) => {
          const m = message as { has_found?: boolean; has_missing?: boolean };
          if (m.has_found === true) counts().lookupsFound += 1;
          else if (m.has_missing === true) counts().lookupsMissing += 1;
          return write(message, ...rest);
        };
      } else if (method === 'RunQuery') {
        const write = call.write.bind(call);
        let returned = 0;
        call.write = (message, ...rest) => {
          const m = message as { has_document?: boolean; done?: boolean };
          if (m.has_document === true) {
            returned += 1;
            counts().queryDocuments += 1;
          } else if (m.done === true && returned === 0) counts().emptyQueries += 1;
          return write(message, ...rest);
        };
      } else if (method === 'RunAggregationQuery') {
        c.aggregationQueries += 1;
      }
      let wrapped = callback;
      if (method === 'Commit' && callback !== undefined) {
        const writes = (call.request as { writes: WriteMessage[] }).writes;
        wrapped = (err, ...rest) => {
          const now = counts();
          if (err === null || err === undefined) {
            for (const w of writes) now[classify(w)] += 1;
          } else {
            now.rejectedCommits += 1;
            now.rejectedWrites += writes.length;
          }
          callback(err, ...rest);
        };
      }
      if (!measureCpu) {
        original(call, wrapped);
        return;
      }
      const started = process.cpuUsage();
      try {
        original(call, wrapped);
      } finally {
        const used = process.cpuUsage(started);
        counts().serverCpuMs += (used.user + used.system) / 1000;
      }
    };
  }
}

export interface CountingFirestore {
  /** `host:port` for FIRESTORE_EMULATOR_HOST. */
  host: string;
  /** The counters since the last `reset()`. */
  readonly counts: FirestoreCounts;
  /** Starts counting from zero (after seeding, between runs) and answers what was counted. */
  reset(): FirestoreCounts;
  /** Number of documents that exist in `projectId` (walks the server's state). */
  storedDocuments(projectId: string): number;
  /**
   * Seeding without the wire: each `set` is applied to the server's state as the server applies
   * a Commit's set (same stored fields and metadata), without the gRPC round trip and the two
   * protobuf encodings. Not counted; for data that is not what a benchmark measures.
   */
  directWriter(projectId: string): SeedWriter;
  stop(): void;
}

interface StateWriter {
  writeV1Document(date: Date, write: unknown): unknown;
}

interface WriteModule {
  Write: { fromObject(data: unknown): unknown };
}

/** A seeded field as the v1 `Value` the server converts (the types seeding writes). */
function toV1Value(value: unknown): Record<string, unknown> {
  if (value === null) return { null_value: 0 };
  if (typeof value === 'string') return { string_value: value };
  if (typeof value === 'boolean') return { boolean_value: value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { integer_value: value } : { double_value: value };
  if (value instanceof Timestamp)
    return { timestamp_value: { seconds: value.seconds, nanos: value.nanoseconds } };
  if (Array.isArray(value)) return { array_value: { values: value.map(toV1Value) } };
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return { map_value: { fields: toV1Fields(value as Record<string, unknown>) } };
  throw new Error(`directWriter: unsupported value of type ${typeof value}`);
}

function toV1Fields(data: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, toV1Value(v)]));
}

interface StateNode {
  metadata?: { hasExist: boolean };
  collections?: Record<string, { documents: Record<string, StateNode> }>;
}

interface CollectionInternals {
  emitter: unknown;
  database: unknown;
  documents: Record<string, FirestoreStateDocument | undefined>;
}

/**
 * Makes the server add a new document to its collection in place rather than through an immer
 * copy of the whole collection (see above). Turns immer's auto-freeze off for the server's immer,
 * so no collection object is frozen and in-place insertion is possible. Process-wide: call before
 * the server stores anything.
 */
function useInPlaceStorage(serverRequire: NodeJS.Require): void {
  (serverRequire('immer') as { setAutoFreeze(on: boolean): void }).setAutoFreeze(false);
  FirestoreStateCollection.prototype.getDocument = function getDocument(
    this: FirestoreStateCollection,
    documentName: string,
  ): FirestoreStateDocument {
    const internals = this as unknown as CollectionInternals;
    const existing = internals.documents[documentName];
    if (existing !== undefined) return existing;
    if (Object.isFrozen(internals.documents)) internals.documents = { ...internals.documents };
    const created = new FirestoreStateDocument(
      internals.emitter as ConstructorParameters<typeof FirestoreStateDocument>[0],
      internals.database as ConstructorParameters<typeof FirestoreStateDocument>[1],
      this,
      documentName,
      {},
      {},
    );
    internals.documents[documentName] = created;
    return created;
  };
}

/**
 * Starts the embedded server on a free loopback port, instrumented; with `inPlaceStorage`, its
 * collections grow in place (see above); with `measureCpu: false`, `serverCpuMs` is not measured.
 */
export async function startCountingFirestore(
  options: { inPlaceStorage?: boolean; measureCpu?: boolean } = {},
): Promise<CountingFirestore> {
  // The server pins its own grpc-js and immer: take them from its copy (see
  // scripts/embedded-firestore.cjs). `createRequire` resolves from the server's package.
  const serverRequire = createRequire(require.resolve('@firestore-emulator/server'));
  if (options.inPlaceStorage === true) useInPlaceStorage(serverRequire);
  const firestore = new FirestoreServer();
  const server = (firestore as unknown as { server: GrpcServer }).server;
  let counts = emptyCounts();
  instrument(server, () => counts, options.measureCpu ?? true);
  const grpc = serverRequire('@grpc/grpc-js') as GrpcModule;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(err);
      else resolve(bound);
    });
  });
  return {
    host: `127.0.0.1:${port}`,
    get counts() {
      return counts;
    },
    reset() {
      const previous = counts;
      counts = emptyCounts();
      return previous;
    },
    storedDocuments(projectId) {
      // `projects` is private in the server's typings; scripts/embedded-firestore.cjs reads it too.
      const { projects } = firestore.state as unknown as {
        projects: Record<
          string,
          { databases: Record<string, { collections: StateNode['collections'] }> }
        >;
      };
      const project = projects[projectId];
      let n = 0;
      const walk = (collections: StateNode['collections']): void => {
        for (const collection of Object.values(collections ?? {})) {
          for (const doc of Object.values(collection.documents)) {
            if (doc.metadata?.hasExist === true) n += 1;
            walk(doc.collections);
          }
        }
      };
      for (const database of Object.values(project?.databases ?? {})) walk(database.collections);
      return n;
    },
    directWriter(projectId) {
      const state = firestore.state as unknown as StateWriter;
      const { Write } = serverRequire(
        '@firestore-emulator/proto/dist/google/firestore/v1/write',
      ) as WriteModule;
      const root = `projects/${projectId}/databases/(default)/documents`;
      return {
        set(writes) {
          const date = new Date();
          for (const [ref, data] of writes)
            state.writeV1Document(
              date,
              Write.fromObject({
                update: { name: `${root}/${ref.path}`, fields: toV1Fields(data) },
              }),
            );
          return Promise.resolve();
        },
        close: () => Promise.resolve(),
      };
    },
    stop() {
      server.forceShutdown();
    },
  };
}
