// What the local stack needs from a running Functions emulator (firebase-tools) beyond what
// `firebase emulators:start` does by itself when it cannot run the official Firestore emulator
// (Java < 21): which functions it loaded and under which keys, wiring its Firestore triggers to
// a Firestore emulator it did not start, and invoking scheduled functions (there is no Pub/Sub
// or Cloud Scheduler emulator to tick them). Used by scripts/start.cjs, firestore-trigger-relay.cjs
// and schedule-run.cjs; every call is plain HTTP on loopback, the same calls firebase-tools makes.
//
// Trigger keys: the Functions emulator files an event-triggered function (Firestore, scheduled)
// under `<region>-<name>-<generation>`, where the generation grows each time it reloads lib/
// (after a build); a function whose definition did not change keeps its old key. Event deliveries
// go to POST /functions/projects/<project>/triggers/<key>. The emulator has no listing of keys,
// but it names them all when asked for one it does not have, so that is how they are read.
'use strict';
const http = require('node:http');

const PROBE_TRIGGER = 'taskflow-list-trigger-keys';
// scripts/start.cjs gives the Functions emulator this long to start a function's worker
// (FUNCTIONS_DISCOVERY_TIMEOUT, seconds; firebase-tools' default is 30).
const DEFAULT_WORKER_START_SECONDS = 120;
const VALID_KEYS = /valid functions are: ?(.*)$/s;
const FIRESTORE_SERVICE = 'firestore.googleapis.com';

/**
 * One HTTP request over a fresh connection (no keep-alive pool holding a process open).
 * Resolves to { status, body } whatever the status; rejects only when there is no answer.
 */
function request(method, url, { body, headers = {}, timeoutMs = 15_000 } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: timeoutMs,
        headers: payload === undefined ? headers : { ...headers, 'content-length': payload.length },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Every trigger key the Functions emulator has, read from its "does not exist" answer. */
async function triggerKeys(functionsHost, projectId) {
  const url = `http://${functionsHost}/functions/projects/${projectId}/triggers/${PROBE_TRIGGER}`;
  const { status, body } = await request('POST', url, {
    body: '{}',
    headers: { 'content-type': 'application/json' },
  });
  const match = status === 404 ? VALID_KEYS.exec(body) : null;
  if (match === null) {
    throw new Error(`could not read the trigger keys (HTTP ${status}: ${body.slice(0, 200)})`);
  }
  return match[1]
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
}

/**
 * The newest key of function `id` (`<region>-<name>`) among `keys`, or undefined. An older key
 * of the same function can linger after its definition changed; the highest generation is the
 * one that runs the current definition.
 */
function newestKey(keys, id) {
  let best;
  let bestGeneration = -1;
  for (const key of keys) {
    if (key === id) return key;
    if (!key.startsWith(`${id}-`)) continue;
    const rest = key.slice(id.length + 1);
    if (!/^\d+$/.test(rest)) continue;
    const generation = Number(rest);
    if (generation > bestGeneration) {
      best = key;
      bestGeneration = generation;
    }
  }
  return best;
}

/** The loaded functions with their current key: `[{ def, key }]` (one per function id). */
async function keyedFunctions(functionsHost, projectId) {
  return (await functionsFollower(functionsHost, projectId).changed()) ?? [];
}

/**
 * Reads the loaded functions with their keys only when they changed: `changed()` resolves to
 * `[{ def, key }]` the first time and after a reload that changed any definition, else to null.
 * A key is only ever added together with its definition, so an unchanged `GET /backends` means
 * unchanged keys, and the (logged) key probe is skipped — cheap enough to call every few seconds.
 */
function functionsFollower(functionsHost, projectId) {
  let lastBackends;
  async function changed() {
    const { status, body } = await request('GET', `http://${functionsHost}/backends`);
    if (status !== 200) throw new Error(`GET /backends answered ${status}`);
    if (body === lastBackends) return null;
    const defs = JSON.parse(body).backends.flatMap((b) => b.functionTriggers ?? []);
    const keys = await triggerKeys(functionsHost, projectId);
    // A function whose definition changed in a rebuild can linger under its old key, with its old
    // definition listed before the current one: the last definition of an id is the current one.
    const byId = new Map();
    for (const def of defs) {
      const key = newestKey(keys, def.id);
      if (key !== undefined) byId.set(def.id, { def, key });
    }
    lastBackends = body;
    return [...byId.values()];
  }
  return { changed };
}

/**
 * How long to wait for a function's answer: its timeout plus the time the Functions emulator may
 * take to start a worker. When a worker fails to start, the emulator never answers the request.
 */
function answerTimeoutMs(def) {
  const start = Number(process.env.FUNCTIONS_DISCOVERY_TIMEOUT) || DEFAULT_WORKER_START_SECONDS;
  return ((def.timeoutSeconds ?? 60) + start + 15) * 1000;
}

function isFirestoreTrigger(def) {
  const t = def.eventTrigger;
  if (t === undefined || t.channel !== undefined) return false;
  return t.service === FIRESTORE_SERVICE || String(t.eventType ?? '').includes('firestore');
}

const isScheduled = (def) => def.schedule !== undefined && def.schedule !== null;

/**
 * The registration firebase-tools itself sends to the Firestore emulator for a Firestore trigger
 * (FunctionsEmulator#addFirestoreTrigger): v2 (CloudEvent) triggers as an "eventarc trigger" with
 * the document pattern, v1 ones as a legacy trigger. `pattern` overrides the document pattern.
 */
function firestoreRegistration(projectId, key, def, pattern) {
  const t = def.eventTrigger;
  if (def.platform === 'gcfv2') {
    const exact = t.eventFilters?.document;
    const wildcard = t.eventFilterPathPatterns?.document;
    const document =
      pattern !== undefined
        ? { value: pattern, matchType: 'PATH_PATTERN' }
        : wildcard !== undefined
          ? { value: wildcard, matchType: 'PATH_PATTERN' }
          : { value: exact, matchType: 'EXACT' };
    return {
      method: 'POST',
      path: `/emulator/v1/projects/${projectId}/eventarcTrigger?eventarcTriggerId=${encodeURIComponent(key)}`,
      body: {
        eventType: t.eventType,
        database: t.eventFilters?.database ?? '(default)',
        namespace: t.eventFilters?.namespace ?? '(default)',
        document,
      },
    };
  }
  const eventTrigger = { ...t, service: FIRESTORE_SERVICE };
  if (pattern !== undefined) {
    eventTrigger.resource = `projects/${projectId}/databases/(default)/documents/${pattern}`;
  }
  return {
    method: 'PUT',
    path: `/emulator/v1/projects/${projectId}/triggers/${encodeURIComponent(key)}`,
    body: { eventTrigger },
  };
}

/**
 * Keeps a Firestore emulator's trigger registrations in step with the Functions emulator: each
 * Firestore trigger registered under its current key, and a key replaced by a newer one (its
 * definition changed in a rebuild) pointed at a path no document has, since the emulator has no
 * way to delete a registration. `sync()` is cheap when nothing changed; call it periodically.
 * `onRegister(name, key, document)` is told about each (re)registration.
 */
function firestoreTriggerSync({ functionsHost, firestoreHost, projectId, onRegister = () => {} }) {
  /** key → JSON of what was registered under it */
  const registered = new Map();
  /** function id → key registered for it */
  const keyOf = new Map();

  async function put(key, reg) {
    const json = JSON.stringify(reg.body);
    if (registered.get(key) === json) return false;
    const { status, body } = await request(reg.method, `http://${firestoreHost}${reg.path}`, {
      body: json,
      headers: { 'content-type': 'application/json' },
    });
    if (status !== 200) {
      throw new Error(`registering trigger ${key}: HTTP ${status} ${body.slice(0, 200)}`);
    }
    registered.set(key, json);
    return true;
  }

  const follower = functionsFollower(functionsHost, projectId);

  async function sync() {
    const all = await follower.changed();
    if (all === null) return { triggers: keyOf.size, changed: 0 };
    const functions = all.filter(({ def }) => isFirestoreTrigger(def));
    let changed = 0;
    for (const { def, key } of functions) {
      const previous = keyOf.get(def.id);
      if (previous !== undefined && previous !== key) {
        // `__taskflow_retired__` is a collection no code writes: the old key never fires again.
        await put(
          previous,
          firestoreRegistration(projectId, previous, def, '__taskflow_retired__/{id}'),
        );
      }
      const reg = firestoreRegistration(projectId, key, def);
      if (await put(key, reg)) {
        changed += 1;
        onRegister(def.name ?? def.id, key, reg.body.document?.value ?? def.eventTrigger.resource);
      }
      keyOf.set(def.id, key);
    }
    return { triggers: functions.length, changed };
  }

  return { sync, registeredCount: () => keyOf.size };
}

// ------------------------------------------------------------------------------------------------
// Scheduled functions

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * The schedule of an `onSchedule` function as a predicate on minutes: `(date) => boolean`, true
 * when a tick is due at that minute (seconds ignored), or undefined for a form not understood.
 * Understands unix cron (5 fields, evaluated in the schedule's time zone with cron-parser) and
 * the English forms Cloud Scheduler accepts that this codebase uses: `every N minutes|hours`
 * (aligned to midnight in the time zone, as with "synchronized"), `every day HH:MM` and
 * `every monday[,tuesday…] HH:MM`.
 */
function scheduleMatcher(schedule, timeZone = 'UTC') {
  const text = String(schedule).trim().toLowerCase();
  const cron = englishToCron(text) ?? (text.split(/\s+/).length === 5 ? text : undefined);
  if (cron === undefined) return undefined;
  const { CronExpressionParser } = require('cron-parser');
  try {
    CronExpressionParser.parse(cron, { tz: timeZone });
  } catch {
    return undefined;
  }
  return (date) => {
    const minute = Math.floor(date.getTime() / 60_000) * 60_000;
    const next = CronExpressionParser.parse(cron, {
      currentDate: new Date(minute - 1000),
      tz: timeZone,
    }).next();
    return next.getTime() === minute;
  };
}

function englishToCron(text) {
  let m = /^every (\d+) (min|mins|minute|minutes)( synchronized)?$/.exec(text);
  if (m !== null) {
    const n = Number(m[1]);
    if (n === 1) return '* * * * *';
    // Cron steps restart each hour; a step dividing 60 is the same as counting from midnight.
    if (n > 0 && n < 60 && 60 % n === 0) return `*/${n} * * * *`;
    if (n >= 60 && n % 60 === 0) return englishToCron(`every ${n / 60} hours`);
    return undefined;
  }
  m = /^every (\d+) (hour|hours|hr|hrs)( synchronized)?$/.exec(text);
  if (m !== null) {
    const n = Number(m[1]);
    if (n === 1) return '0 * * * *';
    return n > 0 && n < 24 && 24 % n === 0 ? `0 */${n} * * *` : undefined;
  }
  m = /^every (day|[a-z,]+) (\d{1,2}):(\d{2})$/.exec(text);
  if (m !== null) {
    const [hour, minute] = [Number(m[2]), Number(m[3])];
    if (hour > 23 || minute > 59) return undefined;
    if (m[1] === 'day') return `${minute} ${hour} * * *`;
    const days = m[1].split(',').map((d) => WEEKDAYS.indexOf(d.slice(0, 3)));
    if (days.some((d) => d < 0)) return undefined;
    return `${minute} ${hour} * * ${days.join(',')}`;
  }
  return undefined;
}

/** The loaded scheduled functions: `[{ name, id, key, schedule, timeZone, matches }]`. */
async function scheduledFunctions(functionsHost, projectId) {
  return (await keyedFunctions(functionsHost, projectId))
    .filter(({ def }) => isScheduled(def))
    .map(({ def, key }) => {
      const timeZone = def.schedule.timeZone ?? 'UTC';
      return {
        name: def.name ?? def.entryPoint,
        id: def.id,
        region: def.region,
        key,
        schedule: def.schedule.schedule,
        timeZone,
        timeoutMs: answerTimeoutMs(def),
        matches: scheduleMatcher(def.schedule.schedule, timeZone),
      };
    });
}

/**
 * Runs one scheduled function once, the way Cloud Scheduler calls a 2nd-gen scheduled function:
 * an HTTP POST with the job name and schedule time headers. Resolves to { status, ms }; a
 * function that threw answers 500.
 */
async function invokeScheduled(functionsHost, projectId, fn, scheduleTime = new Date()) {
  const started = Date.now();
  const { status, body } = await request(
    'POST',
    `http://${functionsHost}/functions/projects/${projectId}/triggers/${encodeURIComponent(fn.key)}`,
    {
      body: '{}',
      headers: {
        'content-type': 'application/json',
        'x-cloudscheduler-jobname': `firebase-schedule-${fn.name}-${fn.region}`,
        'x-cloudscheduler-scheduletime': scheduleTime.toISOString(),
      },
      timeoutMs: fn.timeoutMs,
    },
  );
  return { status, ms: Date.now() - started, body };
}

module.exports = {
  DEFAULT_WORKER_START_SECONDS,
  answerTimeoutMs,
  request,
  triggerKeys,
  newestKey,
  keyedFunctions,
  functionsFollower,
  isFirestoreTrigger,
  firestoreRegistration,
  firestoreTriggerSync,
  scheduleMatcher,
  scheduledFunctions,
  invokeScheduled,
};
