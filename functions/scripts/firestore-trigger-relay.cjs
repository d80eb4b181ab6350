#!/usr/bin/env node
// Firestore triggers for the embedded Firestore server (@firestore-emulator/server), which,
// unlike the real emulator, cannot call the Functions emulator itself. Started by scripts/start.cjs
// when no Java can run a real emulator. For each Firestore trigger the Functions emulator loaded
// (re-read every few seconds, so a rebuild is followed) it listens to the trigger's path with the
// Admin SDK and delivers every later change as the CloudEvent the real emulator would POST:
// binary-mode `ce-*` headers and a base64 protobuf DocumentEventData body (value, oldValue,
// updateMask), to POST /functions/projects/<project>/triggers/<key>.
//   - created/updated/deleted/written event types filter the changes as in production;
//   - the event id is derived from the document and its update time, so a redelivery of the same
//     change carries the same id (the domain's exactly-once claims key on it);
//   - changes to one document are delivered in order, at most 2 at a time per trigger; a trigger
//     declared with `retry: true` is redelivered (same id) up to 3 times when the function fails
//     (HTTP 5xx), any trigger when the emulator did not answer;
//   - the documents present when a path starts being watched are the baseline, not events.
// Paths whose parent segments hold wildcards (`a/{x}/b/{y}`) would need a collection-group
// listener, which the embedded server cannot serve: they are reported and skipped.
// Env: FIRESTORE_EMULATOR_HOST, FUNCTIONS_EMULATOR_HOST (host:port), GCLOUD_PROJECT.
// Sends { type: 'ready', triggers: [{ name, document }] } over IPC once every path is watched.
'use strict';
const { createHash } = require('node:crypto');
const path = require('node:path');
const {
  answerTimeoutMs,
  functionsFollower,
  isFirestoreTrigger,
  request,
} = require('./local-functions.cjs');

const SYNC_MS = 3_000;
const RETRIES = 3;
// Deliveries in flight per trigger: the Functions emulator starts one worker per concurrent
// request, and a burst (the seed) of cold starts at once is what makes a small machine time out.
const CONCURRENCY = 2;
const DATA_SCHEMA =
  'https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/firestore/v1/data.proto';

// The protobuf types firebase-functions decodes Firestore events with (not an exported path:
// its package root is found from its main module, lib/v2/index.js).
const FIREBASE_FUNCTIONS_ROOT = path.resolve(
  path.dirname(require.resolve('firebase-functions')),
  '../..',
);
const { google } = require(path.join(FIREBASE_FUNCTIONS_ROOT, 'protos/compiledFirestore.js'));
const DocumentEventData = google.events.cloud.firestore.v1.DocumentEventData;

const defaultLog = (message) => process.stdout.write(`[relay] ${message}\n`);

/** The trigger's document pattern: `tasks/{taskId}`. */
function patternOf(def) {
  const t = def.eventTrigger;
  return t.eventFilterPathPatterns?.document ?? t.eventFilters?.document ?? t.resource;
}

const isWildcard = (segment) => /^\{[^}]+\}$/.test(segment);

/** `created` | `updated` | `deleted` | `written` from the event type. */
const kindOf = (eventType) =>
  /\.(created|updated|deleted|written)(\.withAuthContext)?$/.exec(eventType)?.[1];

const protoTime = (ts) => ({ seconds: ts.seconds, nanos: ts.nanoseconds });

/** A snapshot as the protobuf Document of an event (fields straight from the wire format). */
function documentOf(projectId, snap) {
  return {
    name: `projects/${projectId}/databases/(default)/documents/${snap.ref.path}`,
    // The Admin SDK keeps the document's fields as the protobuf Values it received.
    fields: snap._fieldsProto,
    createTime: protoTime(snap.createTime),
    updateTime: protoTime(snap.updateTime),
  };
}

/** Top-level fields that differ between two protobuf documents (the event's updateMask). */
function changedFields(before, after) {
  const keys = new Set([...Object.keys(before.fields), ...Object.keys(after.fields)]);
  const strip = (v) => JSON.stringify(v, (k, x) => (k === 'valueType' ? undefined : x));
  return [...keys].filter((k) => strip(before.fields[k]) !== strip(after.fields[k])).sort();
}

/** A UUID-shaped id that is the same for the same change of the same document. */
function eventId(docPath, change, version) {
  const h = createHash('sha256')
    .update(`${docPath}|${change}|${version.seconds}.${version.nanos}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const toIso = (t) => new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toISOString();

/**
 * The HTTP request the Firestore emulator sends the Functions emulator for one change of the
 * document at `docPath` (`before`/`after`: protobuf Documents, null when absent): `{ id, headers,
 * body }` with the body base64 protobuf, as the Functions emulator expects it.
 */
function cloudEventRequest({ projectId, def, docPath, change, before, after, now = new Date() }) {
  // A deletion has no new version: the deleted version (and the kind) identify it.
  const id = eventId(docPath, change, after?.updateTime ?? before.updateTime);
  const data = { value: after ?? undefined, oldValue: before ?? undefined };
  if (before !== null && after !== null) {
    data.updateMask = { fieldPaths: changedFields(before, after) };
  }
  const body = Buffer.from(
    DocumentEventData.encode(DocumentEventData.fromObject(data)).finish(),
  ).toString('base64');
  const headers = {
    'ce-specversion': '1.0',
    'ce-type': def.eventTrigger.eventType,
    'ce-source': `//firestore.googleapis.com/projects/${projectId}/databases/(default)`,
    'ce-id': id,
    'ce-subject': `documents/${docPath}`,
    'ce-time': after !== null ? toIso(after.updateTime) : now.toISOString(),
    'ce-datacontenttype': 'application/protobuf',
    'ce-dataschema': DATA_SCHEMA,
    'ce-location': def.region ?? 'us-central1',
    'ce-project': projectId,
    'ce-database': '(default)',
    'ce-namespace': '(default)',
    'ce-document': docPath,
    'content-type': 'application/protobuf',
  };
  return { id, headers, body };
}

/**
 * Watches one trigger's path. `entry` (`{ def, key }`) is read at each delivery, so the caller
 * can point it at a newer key. Resolves `ready` (true; false when the path cannot be watched)
 * after the baseline snapshot.
 */
function watch(db, { projectId, functionsHost, log = defaultLog }, entry) {
  const { def } = entry;
  const pattern = patternOf(def);
  const eventType = def.eventTrigger.eventType;
  const segments = pattern.split('/');
  const kind = kindOf(eventType);
  const name = def.name ?? def.entryPoint;
  if (segments.slice(0, -1).some(isWildcard) || kind === undefined || segments.length % 2 !== 0) {
    log(`${name} (${pattern}): not relayed — the embedded server cannot listen to this path`);
    return { ready: Promise.resolve(false), stop: () => {}, pattern, eventType };
  }
  const last = segments[segments.length - 1];
  /** path → protobuf Document as last seen */
  const known = new Map();
  /** path → promise of the delivery chain of that document */
  const chains = new Map();
  let baseline = true;
  let active = 0;
  const waiting = [];
  const acquire = () => {
    if (active < CONCURRENCY) {
      active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next !== undefined) next();
    else active -= 1;
  };
  let resolveReady;
  const ready = new Promise((resolve) => (resolveReady = resolve));

  const deliver = async (docPath, change, before, after) => {
    const { id, headers, body } = cloudEventRequest({
      projectId,
      def: entry.def,
      docPath,
      change,
      before,
      after,
    });
    for (let attempt = 0; ; attempt += 1) {
      const url = `http://${functionsHost}/functions/projects/${projectId}/triggers/${encodeURIComponent(entry.key)}`;
      let status;
      try {
        ({ status } = await request('POST', url, {
          body,
          headers,
          timeoutMs: answerTimeoutMs(entry.def),
        }));
      } catch (e) {
        status = `no answer (${e.message})`;
      }
      if (typeof status === 'number' && status < 300) return;
      const again =
        attempt < RETRIES && (entry.def.eventTrigger.retry === true || typeof status !== 'number');
      log(
        `${name} ${change} ${docPath} (event ${id}): ` +
          `${typeof status === 'number' ? `HTTP ${status}` : status}` +
          (again ? `; redelivering in ${2 ** attempt} s` : '; dropped'),
      );
      if (!again) return;
      await new Promise((r) => setTimeout(r, 1000 * 2 ** attempt));
    }
  };

  const enqueue = (docPath, change, before, after) => {
    if (kind !== 'written' && kind !== change) return;
    const previous = chains.get(docPath) ?? Promise.resolve();
    const next = previous.then(async () => {
      await acquire();
      try {
        await deliver(docPath, change, before, after);
      } finally {
        release();
      }
    });
    chains.set(docPath, next);
    void next.finally(() => {
      if (chains.get(docPath) === next) chains.delete(docPath);
    });
  };

  const onChanges = (changes) => {
    for (const { type, doc } of changes) {
      const docPath = doc.ref.path;
      const before = known.get(docPath) ?? null;
      if (type === 'removed') {
        known.delete(docPath);
        if (!baseline && before !== null) enqueue(docPath, 'deleted', before, null);
        continue;
      }
      const after = documentOf(projectId, doc);
      known.set(docPath, after);
      if (!baseline) enqueue(docPath, before === null ? 'created' : 'updated', before, after);
    }
    if (baseline) {
      baseline = false;
      resolveReady(true);
    }
  };
  const onError = (e) => {
    log(`${name} (${pattern}): listener failed: ${e.message}; exiting`);
    process.exit(1);
  };
  const stop = isWildcard(last)
    ? db
        .collection(segments.slice(0, -1).join('/'))
        .onSnapshot((qs) => onChanges(qs.docChanges()), onError)
    : db.doc(pattern).onSnapshot((snap) => {
        const seen = known.has(snap.ref.path);
        if (snap.exists) onChanges([{ type: seen ? 'modified' : 'added', doc: snap }]);
        else onChanges(seen ? [{ type: 'removed', doc: snap }] : []);
      }, onError);
  return { ready, stop, pattern, eventType };
}

/**
 * Follows the Functions emulator's Firestore triggers: a watcher per trigger, re-pointed at a new
 * key, replaced when its path or event type changes, stopped when the trigger is gone.
 * `options`: { projectId, functionsHost, log? (one line per message, default stdout) }.
 */
function relay(db, options) {
  const { projectId, functionsHost, log = defaultLog } = options;
  /** function id → { entry: { def, key }, watcher } */
  const watchers = new Map();

  const follower = functionsFollower(functionsHost, projectId);
  let triggers = [];

  async function sync() {
    const all = await follower.changed();
    if (all === null) return triggers;
    const functions = all.filter(({ def }) => isFirestoreTrigger(def));
    const started = [];
    for (const { def, key } of functions) {
      const current = watchers.get(def.id);
      if (
        current !== undefined &&
        current.watcher.pattern === patternOf(def) &&
        current.watcher.eventType === def.eventTrigger.eventType
      ) {
        current.entry.key = key;
        current.entry.def = def;
        continue;
      }
      current?.watcher.stop();
      const entry = { def, key };
      const watcher = watch(db, options, entry);
      watchers.set(def.id, { entry, watcher });
      started.push(
        watcher.ready.then((ok) => {
          if (ok)
            log(`${def.name ?? def.id}: relaying ${watcher.eventType} under ${watcher.pattern}`);
        }),
      );
    }
    const live = new Set(functions.map(({ def }) => def.id));
    for (const [id, { watcher }] of watchers) {
      if (live.has(id)) continue;
      watcher.stop();
      watchers.delete(id);
      log(`${id}: no longer loaded; not relayed any more`);
    }
    await Promise.all(started);
    triggers = functions.map(({ def }) => ({
      name: def.name ?? def.entryPoint,
      document: patternOf(def),
    }));
    return triggers;
  }

  /** Stops every listener (deliveries already under way finish). */
  function stop() {
    for (const { watcher } of watchers.values()) watcher.stop();
    watchers.clear();
  }

  return { sync, stop };
}

async function main() {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const { initializeApp } = require('firebase-admin/app');
  const { getFirestore } = require('firebase-admin/firestore');
  const projectId = process.env.GCLOUD_PROJECT || 'demo-taskflow';
  const functionsHost = process.env.FUNCTIONS_EMULATOR_HOST || '127.0.0.1:5001';
  const db = getFirestore(initializeApp({ projectId }));
  const { sync } = relay(db, { projectId, functionsHost });
  const triggers = await sync();
  process.send?.({ type: 'ready', triggers });
  let lastError = '';
  const again = () =>
    setTimeout(() => {
      sync()
        .then(
          () => {
            lastError = '';
          },
          (e) => {
            if (e.message !== lastError) defaultLog(`could not read the triggers: ${e.message}`);
            lastError = e.message;
          },
        )
        .finally(again);
    }, SYNC_MS);
  again();
}

module.exports = { cloudEventRequest, changedFields, eventId, patternOf, relay };

if (require.main === module) {
  // Stopped with its process group by start.cjs; with the IPC channel gone, it is orphaned: exit.
  process.on('disconnect', () => process.exit(0));
  main().catch((e) => {
    defaultLog(`failed: ${e.message}`);
    process.exit(1);
  });
}
