#!/usr/bin/env node
// `npm start`: the whole backend on this machine. Builds the functions; starts a Firestore
// emulator and the Auth, Functions and Hosting emulators; makes the Firestore triggers fire and
// ticks the scheduled functions; seeds demo data; prints how to call the API. Ctrl-C (or SIGTERM)
// stops every process it started.
//
// Firestore, the first that can run (TASKFLOW_FIRESTORE=emulator|gcloud|embedded forces one):
//   emulator  Java 21+: firebase-tools' official emulator; firebase-tools wires the triggers.
//   gcloud    the Google Cloud CLI's build of the same emulator (Debian package
//             google-cloud-cli-firestore-emulator, runs on Java 11+), started here with
//             --functions_emulator; the Firestore triggers the Functions emulator loaded are
//             registered with it exactly as firebase-tools would (scripts/local-functions.cjs),
//             and again whenever a rebuild changes them.
//   embedded  no usable Java: @firestore-emulator/server, with scripts/firestore-trigger-relay.cjs
//             delivering each change under a trigger's path to the Functions emulator as the
//             CloudEvent the real emulator sends.
// Scheduled functions: nothing emulates Cloud Scheduler, so this script calls each one at the
// minutes its schedule names (TASKFLOW_SCHEDULES=off: never). `npm run schedule:run -- <name>`
// runs one on demand.
// Params: any param of src/config/params.ts set in this script's environment (e.g.
// NOTIFY_COALESCE_SECONDS=0) is passed to the functions for this run (see claimEnvLocal).
// This machine cannot reach FCM, SendGrid or Cloud Tasks, so the run declares
// DELIVERY_TRANSPORT=capture and TASK_QUEUE_TRANSPORT=inline unless the environment says otherwise;
// nothing else differs from production.
// Profiles: `npm start` runs the demo project (demo-taskflow); `npm start -- --project <id>` runs
// the same stack under a real project id (e.g. taskflow-staging) — the production code paths,
// with every function getting only the secrets .secret.local provides.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const {
  DEFAULT_WORKER_START_SECONDS,
  firestoreTriggerSync,
  isFirestoreTrigger,
  keyedFunctions,
  request,
  scheduledFunctions,
  invokeScheduled,
} = require('./local-functions.cjs');
const { gcloudFirestoreEmulator } = require('./test-rules.cjs');

const FUNCTIONS_DIR = path.resolve(__dirname, '..');
const ROOT_DIR = path.dirname(FUNCTIONS_DIR);
const PROJECT_ID = projectFromArgs(process.argv.slice(2));
const FIREBASE_CLI = path.join(FUNCTIONS_DIR, 'node_modules/firebase-tools/lib/bin/firebase.js');
const EMBEDDED_FIRESTORE = path.join(__dirname, 'embedded-firestore.cjs');
const TRIGGER_RELAY = path.join(__dirname, 'firestore-trigger-relay.cjs');
const RULES_FILE = path.join(ROOT_DIR, 'firestore.rules');
const LOCAL_DIR = path.join(FUNCTIONS_DIR, '.local');
const GCLOUD_LOG = path.join(LOCAL_DIR, 'firestore-emulator.log');
const MIN_JAVA_FOR_EMULATOR = 21;
// The Google Cloud CLI's emulator jar is built for Java 11.
const MIN_JAVA_FOR_GCLOUD = 11;
// The Functions emulator writes every param it resolved from a default to functions/.env.local,
// which would then pin today's defaults in later runs. When no such file exists, this script
// creates it (marked) and deletes it on exit; a developer's own .env.local is left alone.
const ENV_LOCAL = path.join(FUNCTIONS_DIR, '.env.local');
const ENV_LOCAL_MARKER =
  '# Written by scripts/start.cjs for one run of the local stack; deleted on exit.';
// Values of the secrets functions declare (defineSecret). Without them the Functions emulator
// asks Secret Manager, which a demo project cannot reach. Git-ignored, never deployed.
const SECRET_LOCAL = path.join(FUNCTIONS_DIR, '.secret.local');
const PARAMS_SOURCE = path.join(FUNCTIONS_DIR, 'src/config/params.ts');
// Params that must not be taken from a shell's environment: the banner's URLs assume them.
const PARAMS_NOT_FORWARDED = new Set(['REGION']);
// Cold start of the CLI, the functions' discovery and the first Firestore round trip; generous
// because the official emulator may first have to download its jar.
const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 5_000;
const TRIGGER_SYNC_MS = 3_000;

// Ports and the region come from firebase.json so the CLI and this script cannot disagree (the
// Hosting rewrite names the region of the REGION param; a unit test keeps the two equal).
const firebaseJson = require(path.join(ROOT_DIR, 'firebase.json'));
const { emulators } = firebaseJson;
const REGION = firebaseJson.hosting.rewrites.find((r) => r.function?.functionId === 'api').function
  .region;
// What a local run cannot reach, and so captures or runs in place (overridable from the env).
const LOCAL_TRANSPORTS = { DELIVERY_TRANSPORT: 'capture', TASK_QUEUE_TRANSPORT: 'inline' };

/** `--project <id>` / `--project=<id>`; the demo project by default. */
function projectFromArgs(argv) {
  let project = 'demo-taskflow';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--project' || arg === '-P') project = argv[++i] ?? '';
    else if (arg.startsWith('--project=')) project = arg.slice('--project='.length);
    else throw new Error(`unknown argument ${arg} (usage: npm start [-- --project <id>])`);
  }
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(project)) {
    throw new Error(`"${project}" is not a Firebase project id`);
  }
  return project;
}
const addr = (name) => `${emulators[name].host}:${emulators[name].port}`;

const log = (message) => process.stdout.write(`[start] ${message}\n`);
const elapsed = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `{ name, child, exited }` of every process group started here. */
const children = [];
/** Intervals and timeouts to clear on shutdown. */
const timers = new Set();
let stopping;

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

async function stopChild({ child, exited }) {
  if (child.exitCode === null && child.signalCode === null) {
    killGroup(child.pid, 'SIGTERM');
    await Promise.race([exited, delay(STOP_GRACE_MS)]);
  }
  // Whatever the leader left behind (function workers, the Java emulator) goes too.
  killGroup(child.pid, 'SIGKILL');
}

/** Stops every child (in reverse start order) and exits; later calls join the first one. */
function shutdown(code, message) {
  if (stopping !== undefined) return stopping;
  if (message !== undefined) process.stderr.write(`\n[start] ${message}\n`);
  for (const t of timers) clearTimeout(t);
  fs.unwatchFile(RULES_FILE);
  if (children.length > 0) log('stopping the emulators…');
  stopping = (async () => {
    for (const c of [...children].reverse()) await stopChild(c);
    removeOwnEnvLocal();
    process.exit(code);
  })();
  return stopping;
}

let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    signals += 1;
    if (signals === 1) {
      void shutdown(0);
      return;
    }
    for (const { child } of children) killGroup(child.pid, 'SIGKILL');
    process.exit(1);
  });
}
// Last resort if this process dies of an uncaught error: never leave emulators behind.
process.on('exit', () => {
  for (const { child } of children) killGroup(child.pid, 'SIGKILL');
  removeOwnEnvLocal();
});

function ownsEnvLocal() {
  try {
    return fs.readFileSync(ENV_LOCAL, 'utf8').startsWith(ENV_LOCAL_MARKER);
  } catch {
    return false;
  }
}

function removeOwnEnvLocal() {
  if (ownsEnvLocal()) fs.rmSync(ENV_LOCAL, { force: true });
}

/** Names of the params declared in src/config/params.ts (defineString/Int/Boolean/…). */
function declaredParams() {
  try {
    const source = fs.readFileSync(PARAMS_SOURCE, 'utf8');
    return [...source.matchAll(/define(?:String|Int|Float|Boolean|List)\(\s*'([A-Z][A-Z0-9_]*)'/g)]
      .map((m) => m[1])
      .filter((name) => !PARAMS_NOT_FORWARDED.has(name));
  } catch {
    return [];
  }
}

/**
 * Creates the marked .env.local unless the developer has one (a stale marked one is replaced),
 * with the declared params this script's environment sets: `NOTIFY_COALESCE_SECONDS=0 npm start`.
 * Resolves to the `NAME=value` lines passed on.
 */
function claimEnvLocal() {
  const values = { ...LOCAL_TRANSPORTS };
  for (const name of declaredParams()) {
    if (process.env[name] !== undefined) values[name] = process.env[name];
  }
  const forwarded = Object.entries(values).map(([name, v]) => `${name}=${JSON.stringify(v)}`);
  if (fs.existsSync(ENV_LOCAL) && !ownsEnvLocal()) {
    log('functions/.env.local exists: the Functions emulator reads it (and adds missing params)');
    const own = readDotenv(ENV_LOCAL);
    for (const [name, value] of Object.entries(LOCAL_TRANSPORTS)) {
      if (own.get(name) === undefined) {
        log(`WARNING: your .env.local does not set ${name}=${value}: this machine cannot reach it`);
      }
    }
    if (forwarded.length > 0) {
      log(`ignoring ${forwarded.join(', ')} from the environment: set them in .env.local instead`);
    }
    return [];
  }
  fs.writeFileSync(ENV_LOCAL, `${ENV_LOCAL_MARKER}\n${forwarded.map((l) => `${l}\n`).join('')}`);
  return forwarded;
}

/** `NAME=value` pairs of a dotenv-style file (comments and blank lines skipped). */
function readDotenv(file) {
  const values = new Map();
  if (!fs.existsSync(file)) return values;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m !== null) values.set(m[1], m[2]);
  }
  return values;
}

/**
 * Gives every secret in `names` a local value in functions/.secret.local (created 0600 when
 * missing; existing values are kept): SENDGRID_API_KEY a placeholder (a demo project captures
 * email whatever the key), anything else — UNSUBSCRIBE_SIGNING_KEY — random for this machine.
 * Resolves to the names it added.
 */
function ensureLocalSecrets(names) {
  const existing = readDotenv(SECRET_LOCAL);
  const missing = names.filter((name) => (existing.get(name) ?? '') === '');
  if (missing.length === 0) return [];
  const lines = missing.map((name) =>
    name === 'SENDGRID_API_KEY'
      ? `${name}=local-capture-only`
      : `${name}=${randomBytes(32).toString('base64url')}`,
  );
  const header = fs.existsSync(SECRET_LOCAL)
    ? ''
    : "# Local-only values of the functions' secrets for the Functions emulator, written by\n" +
      '# scripts/start.cjs. Git-ignored and never deployed (production: firebase functions:secrets:set).\n';
  fs.appendFileSync(SECRET_LOCAL, `${header}${lines.join('\n')}\n`, { mode: 0o600 });
  return missing;
}

/** Secret names declared with defineSecret in src/config/params.ts. */
function declaredSecrets() {
  try {
    const source = fs.readFileSync(PARAMS_SOURCE, 'utf8');
    return [...source.matchAll(/defineSecret\(\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]);
  } catch {
    return [];
  }
}

function fail(message) {
  void shutdown(1, message);
}

/**
 * Starts a child in a process group of its own: a terminal's Ctrl-C reaches only this process,
 * which then stops each group as a whole. A child that dies while the stack runs stops the rest.
 * `onLine` receives its output line by line instead of the terminal; `ipc` opens a channel.
 */
function startChild(name, command, args, options, { onLine, ipc = false, onExit } = {}) {
  const out = onLine === undefined ? 'inherit' : 'pipe';
  const child = spawn(command, args, {
    ...options,
    detached: true,
    stdio: ['ignore', out, out, ...(ipc ? ['ipc'] : [])],
  });
  if (onLine !== undefined) {
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
    }
  }
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.once('error', (err) => fail(`could not start ${name}: ${err.message}`));
  void exited.then(({ code, signal }) => {
    if (stopping === undefined) {
      onExit?.();
      fail(`${name} exited unexpectedly (${signal ?? `exit code ${code}`}); stopping the rest`);
    }
  });
  children.push({ name, child, exited });
  return child;
}

function portIsFree(host, port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function javaMajorVersion() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return 0;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  if (m === null) return 0;
  // Java 8 and older report "1.8.0_…".
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

/** `{ kind: 'emulator'|'gcloud'|'embedded', why, launcher? }`: see the header. */
function chooseFirestore() {
  const java = javaMajorVersion();
  const launcher = gcloudFirestoreEmulator();
  const javaText = java === 0 ? 'no Java found' : `Java ${java}`;
  const forced = process.env.TASKFLOW_FIRESTORE;
  if (forced !== undefined && forced !== '') {
    if (forced === 'gcloud' && launcher === undefined) {
      throw new Error(
        'TASKFLOW_FIRESTORE=gcloud, but the Google Cloud CLI Firestore emulator is not installed ' +
          '(apt-get install google-cloud-cli-firestore-emulator, or gcloud components install ' +
          'cloud-firestore-emulator)',
      );
    }
    if (!['emulator', 'gcloud', 'embedded'].includes(forced)) {
      throw new Error(`TASKFLOW_FIRESTORE=${forced}: expected emulator, gcloud or embedded`);
    }
    return { kind: forced, why: `TASKFLOW_FIRESTORE=${forced}, ${javaText}`, launcher };
  }
  if (java >= MIN_JAVA_FOR_EMULATOR) return { kind: 'emulator', why: javaText };
  if (launcher !== undefined && java >= MIN_JAVA_FOR_GCLOUD) {
    return { kind: 'gcloud', why: `${javaText} < ${MIN_JAVA_FOR_EMULATOR}`, launcher };
  }
  const gcloudText =
    launcher === undefined
      ? 'no Google Cloud CLI Firestore emulator'
      : `Google Cloud CLI emulator needs Java ${MIN_JAVA_FOR_GCLOUD}+`;
  return { kind: 'embedded', why: `${javaText}, ${gcloudText}` };
}

function build() {
  log('building the functions (npm run build)…');
  // Under `npm start`, npm_execpath is the npm that is running us; reuse it.
  const npmCli = process.env.npm_execpath;
  const r =
    npmCli !== undefined && npmCli.endsWith('.js')
      ? spawnSync(process.execPath, [npmCli, 'run', 'build'], {
          cwd: FUNCTIONS_DIR,
          stdio: 'inherit',
        })
      : spawnSync('npm', ['run', 'build'], {
          cwd: FUNCTIONS_DIR,
          stdio: 'inherit',
          shell: process.platform === 'win32',
        });
  if (r.status !== 0) {
    throw new Error('the build failed (see above); fix it and run `npm start` again');
  }
}

async function waitFor200(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (stopping !== undefined) await stopping;
    try {
      const { status, body } = await request('GET', url);
      if (status === 200) return body;
      last = `HTTP ${status} ${body.slice(0, 300)}`;
    } catch (e) {
      last = e.message;
    }
    await delay(500);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

/**
 * The Google Cloud CLI's Firestore emulator on the firebase.json port, sending trigger events to
 * the Functions emulator, with firestore.rules loaded (and reloaded when the file changes), the
 * way firebase-tools starts its own. Its chatty log goes to functions/.local/; warnings (e.g. an
 * event it could not deliver) are shown.
 */
async function startGcloudFirestore(launcher) {
  fs.mkdirSync(LOCAL_DIR, { recursive: true });
  const logFile = fs.openSync(GCLOUD_LOG, 'w');
  const args = [
    'start',
    `--host=${emulators.firestore.host}`,
    `--port=${emulators.firestore.port}`,
    `--functions_emulator=${addr('functions')}`,
    `--rules=${RULES_FILE}`,
    `--project_id=${PROJECT_ID}`,
  ];
  if (emulators.singleProjectMode !== false) args.push('--single_project_mode=true');
  startChild(
    'Firestore emulator (Google Cloud CLI)',
    launcher,
    args,
    { cwd: LOCAL_DIR, env: { ...process.env } },
    {
      onLine: (line) => {
        fs.writeSync(logFile, `${line}\n`);
        // java.util.logging: a "date class method" line, then "LEVEL: message", maybe a stack.
        // "Operation failed" is an error answered to a client (e.g. create() of an existing
        // document, the codebase's exactly-once claim): the client handles it; not shown.
        if (/^(WARNING|SEVERE):/.test(line) && !/^WARNING: Operation failed:/.test(line)) {
          // It stops waiting for the Functions emulator after a while, which still runs the event.
          const note = /publish.*Read timed out/.test(line)
            ? ' (a slow function start: the Functions emulator still runs the event)'
            : '';
          process.stdout.write(`[firestore] ${line}${note}\n`);
        }
      },
      onExit: () => {
        const tail = fs.readFileSync(GCLOUD_LOG, 'utf8').split('\n').slice(-15).join('\n');
        process.stderr.write(`[start] last lines of ${GCLOUD_LOG}:\n${tail}\n`);
      },
    },
  );
  await waitFor200(`http://${addr('firestore')}/`, 60_000);
  fs.watchFile(RULES_FILE, { interval: 1000 }, () => {
    void reloadRules();
  });
}

async function reloadRules() {
  try {
    const content = fs.readFileSync(RULES_FILE, 'utf8');
    const { status, body } = await request(
      'PUT',
      `http://${addr('firestore')}/emulator/v1/projects/${PROJECT_ID}:securityRules`,
      {
        body: JSON.stringify({ rules: { files: [{ name: 'security.rules', content }] } }),
        headers: { 'content-type': 'application/json' },
      },
    );
    const issues = status === 200 ? (JSON.parse(body).issues ?? []) : [];
    if (status !== 200) log(`firestore.rules not reloaded: HTTP ${status} ${body.slice(0, 200)}`);
    else if (issues.length > 0) {
      for (const i of issues) {
        log(`firestore.rules:${i.sourcePosition?.line ?? 0}: ${i.severity} ${i.description}`);
      }
    } else log('firestore.rules reloaded');
  } catch (e) {
    log(`firestore.rules not reloaded: ${e.message}`);
  }
}

/**
 * Registers the loaded Firestore triggers with the gcloud emulator now, then every few seconds
 * (a rebuild reloads the functions and may change them). Resolves to the first sync's report.
 */
async function keepTriggersRegistered() {
  const sync = firestoreTriggerSync({
    functionsHost: addr('functions'),
    firestoreHost: addr('firestore'),
    projectId: PROJECT_ID,
    onRegister: (name, key, document) =>
      log(`Firestore trigger ${name} (${document}) registered with the emulator as ${key}`),
  });
  const first = await sync.sync();
  let lastError = '';
  const again = () => {
    const t = setTimeout(() => {
      timers.delete(t);
      sync.sync().then(
        () => {
          lastError = '';
        },
        (e) => {
          // Reported once per distinct error; the emulator may be mid-reload.
          if (e.message !== lastError) log(`trigger registration: ${e.message}`);
          lastError = e.message;
        },
      );
      if (stopping === undefined) again();
    }, TRIGGER_SYNC_MS);
    timers.add(t);
  };
  again();
  return first;
}

/** Starts the relay (embedded Firestore) and resolves once it watches every trigger path. */
function startTriggerRelay() {
  const child = startChild(
    'Firestore trigger relay',
    process.execPath,
    [TRIGGER_RELAY],
    {
      cwd: FUNCTIONS_DIR,
      env: {
        ...process.env,
        FIRESTORE_EMULATOR_HOST: addr('firestore'),
        FUNCTIONS_EMULATOR_HOST: addr('functions'),
        GCLOUD_PROJECT: PROJECT_ID,
      },
    },
    { ipc: true },
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the trigger relay did not get ready within 60 s')),
      60_000,
    );
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve(message.triggers);
      }
    });
  });
}

/**
 * Calls each scheduled function at every minute its schedule names, like Cloud Scheduler (which
 * may overlap runs; here a run still going makes the next tick of that function wait). The
 * functions are re-read each minute, so a rebuild that adds one is picked up. Reports failures,
 * and each function's first run.
 */
async function startScheduler() {
  const running = new Set();
  const reported = new Set();
  let lastError = '';
  const tick = async (at) => {
    let fns;
    try {
      fns = await scheduledFunctions(addr('functions'), PROJECT_ID);
      lastError = '';
    } catch (e) {
      if (e.message !== lastError) log(`scheduler: could not list the functions: ${e.message}`);
      lastError = e.message;
      return 0;
    }
    const hhmm = at.toISOString().slice(11, 16);
    const runs = [];
    for (const fn of fns) {
      if (fn.matches === undefined) {
        if (!reported.has(`unsupported:${fn.id}`)) {
          reported.add(`unsupported:${fn.id}`);
          log(
            `scheduler: "${fn.schedule}" of ${fn.name} is not understood; run it with ` +
              `npm --prefix functions run schedule:run -- ${fn.name}`,
          );
        }
        continue;
      }
      if (!fn.matches(at)) continue;
      if (running.has(fn.id)) {
        log(`scheduler: ${fn.name} is still running; its ${hhmm} UTC tick is skipped`);
        continue;
      }
      running.add(fn.id);
      const run = invokeScheduled(addr('functions'), PROJECT_ID, fn, at)
        .then(({ status, ms }) => {
          if (status !== 200) log(`scheduler: ${fn.name} (${hhmm} UTC) failed: HTTP ${status}`);
          else if (!reported.has(fn.id)) {
            reported.add(fn.id);
            log(
              `scheduler: ${fn.name} ran (${fn.schedule}${fn.timeZone === 'UTC' ? '' : `, ${fn.timeZone}`}) in ${ms} ms`,
            );
          }
        })
        .catch((e) => log(`scheduler: ${fn.name} (${hhmm} UTC) failed: ${e.message}`))
        .finally(() => running.delete(fn.id));
      runs.push(run);
    }
    await Promise.all(runs);
    return runs.length;
  };
  const next = () => {
    const now = Date.now();
    const minute = Math.floor(now / 60_000) * 60_000 + 60_000;
    const t = setTimeout(
      () => {
        timers.delete(t);
        if (stopping !== undefined) return;
        void tick(new Date(minute));
        next();
      },
      minute - now + 250,
    );
    timers.add(t);
  };
  const started = Date.now();
  const ran = await tick(new Date(Math.floor(started / 60_000) * 60_000));
  next();
  return { ran, ms: Date.now() - started };
}

function banner({ firestore, seed, seconds, triggers, scheduled, forwarded }) {
  const fn = `http://${addr('functions')}/${PROJECT_ID}/${REGION}`;
  const api = `http://localhost:${emulators.hosting.port}/api`;
  const bob = seed.users.find((u) => u.key === 'bob');
  const alice = seed.users.find((u) => u.key === 'alice');
  const rule = '─'.repeat(78);
  const triggerText =
    triggers.length === 0
      ? 'none loaded'
      : triggers.map((t) => `${t.name} (${t.document})`).join(', ');
  const lines = [
    rule,
    `TaskFlow local stack ready in ${seconds} (project ${PROJECT_ID})`,
    rule,
    `Deliveries          ${forwarded.find((l) => l.startsWith('DELIVERY_TRANSPORT=')) ?? 'see .env.local'}` +
      '  (capture: pushes and emails land in devOutbox)',
    `API (via Hosting)   ${api}`,
    `  health            ${api}/health`,
    `  OpenAPI           ${api}/openapi.json`,
    `API function        ${fn}/api`,
    `Callables           ${fn}/<name>   e.g. getPreferences, updatePreferences`,
    `Auth emulator       http://${addr('auth')}`,
    `Firestore           ${addr('firestore')}   ${firestore.label}`,
    `Firestore triggers  LIVE via ${firestore.triggerPath}: ${triggerText}`,
    scheduled === null
      ? 'Scheduled functions not ticked (TASKFLOW_SCHEDULES=off)'
      : `Scheduled functions ticked on their schedules: ${scheduled.map((s) => s.name).join(', ') || 'none'}`,
    '  run one now:      npm --prefix functions run schedule:run -- releaseDeliveries',
    ...(forwarded.length > 0 ? [`Params set here     ${forwarded.join(', ')}`] : []),
    '',
    `Demo users (password "${seed.password}"):`,
    ...seed.users.map(
      (u) =>
        `  ${u.email.padEnd(22)} uid ${u.uid}${u.admin ? '   admin (claim {admin: true})' : ''}`,
    ),
    `  workspace ${seed.workspaceId}, project ${seed.projectId}, tasks ${seed.taskIds.join(', ')}`,
    '',
    'ID token:  npm --prefix functions run token -- alice@taskflow.test',
    'Trigger demo: npm --prefix functions run demo:assign   (alice assigns demo-task-1 to bob',
    "              through the Admin SDK; shows bob's inbox item, captured push and email)",
    'Captured push/email: devOutbox collection; npm --prefix functions run outbox:dump',
    '',
    'REST:',
    `  TOKEN=$(npm --prefix functions run -s token -- ${bob.email}) && \\`,
    `    curl -H "Authorization: Bearer $TOKEN" ${api}/users/${bob.uid}/preferences`,
    'Callable:',
    `  curl -X POST -H 'content-type: application/json' -H "Authorization: Bearer $TOKEN" \\`,
    `    -d '{"data":{"userId":"${bob.uid}"}}' ${fn}/getPreferences`,
    `Admin (${alice.email}) may read any user's data; the others only their own.`,
    '',
    'After a change: npm --prefix functions run build (the Functions emulator reloads lib/).',
    'Ctrl-C stops everything.',
    rule,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

async function main() {
  const started = Date.now();
  const firestore = chooseFirestore();
  const firestoreHost = addr('firestore');
  const controlPort = emulators.firestore.port + 1;

  const wanted = ['firestore', 'auth', 'functions', 'hosting', 'hub', 'logging'].map((name) => ({
    name,
    host: emulators[name].host,
    port: emulators[name].port,
  }));
  if (firestore.kind === 'embedded') {
    wanted.push({ name: 'embedded Firestore control', host: '127.0.0.1', port: controlPort });
  }
  for (const { name, host, port } of wanted) {
    if (!(await portIsFree(host, port))) {
      throw new Error(
        `port ${port} (${name}) on ${host} is already in use: ` +
          'is another emulator or `npm start` running? Stop it and retry.',
      );
    }
  }

  build();
  log(`built in ${elapsed(started)}`);

  const added = ensureLocalSecrets(declaredSecrets());
  if (added.length > 0) log(`functions/.secret.local: local values for ${added.join(', ')}`);

  const only = ['auth', 'functions', 'hosting'];
  const env = { ...process.env, NO_UPDATE_NOTIFIER: '1', METADATA_SERVER_DETECTION: 'none' };
  // How long the Functions emulator waits for a function's worker to load (default 30 s). A burst
  // of trigger events starts several workers at once, which on a small, busy machine took longer:
  // the emulator then drops the event.
  if (!process.env.FUNCTIONS_DISCOVERY_TIMEOUT) {
    process.env.FUNCTIONS_DISCOVERY_TIMEOUT = String(DEFAULT_WORKER_START_SECONDS);
    env.FUNCTIONS_DISCOVERY_TIMEOUT = process.env.FUNCTIONS_DISCOVERY_TIMEOUT;
  }
  const label = {
    emulator: { label: '(official emulator, firebase-tools)', triggerPath: 'firebase-tools' },
    gcloud: {
      label: `(Google Cloud CLI Firestore emulator; log ${path.relative(ROOT_DIR, GCLOUD_LOG)})`,
      triggerPath: 'the emulator (registered by start.cjs)',
    },
    embedded: {
      label: '(embedded @firestore-emulator/server)',
      triggerPath: 'scripts/firestore-trigger-relay.cjs',
    },
  }[firestore.kind];
  if (firestore.kind === 'embedded') {
    log(`Firestore: embedded server on ${firestoreHost} (${firestore.why})`);
    startChild('embedded Firestore', process.execPath, [EMBEDDED_FIRESTORE], {
      cwd: FUNCTIONS_DIR,
      env: {
        ...process.env,
        FIRESTORE_PORT: String(emulators.firestore.port),
        FIRESTORE_CONTROL_PORT: String(controlPort),
      },
    });
    await waitFor200(`http://127.0.0.1:${controlPort}/healthz`, 30_000);
    // The Functions emulator passes its own environment on to the function runtimes.
    env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  } else if (firestore.kind === 'gcloud') {
    log(`Firestore: Google Cloud CLI emulator on ${firestoreHost} (${firestore.why})`);
    await startGcloudFirestore(firestore.launcher);
    env.FIRESTORE_EMULATOR_HOST = firestoreHost;
  } else {
    log(`Firestore: official emulator on ${firestoreHost} (${firestore.why})`);
    only.unshift('firestore');
    // firebase-tools sets it for the runtimes from the emulator it starts.
    delete env.FIRESTORE_EMULATOR_HOST;
  }

  const forwarded = claimEnvLocal();
  log(`starting firebase emulators: ${only.join(',')}…`);
  startChild(
    'firebase emulators',
    process.execPath,
    [FIREBASE_CLI, 'emulators:start', '--only', only.join(','), '--project', PROJECT_ID],
    { cwd: ROOT_DIR, env },
  );

  const health = `http://${addr('hosting')}/api/health`;
  log(`waiting for ${health}…`);
  await waitFor200(health, READY_TIMEOUT_MS);
  log(`API healthy at ${elapsed(started)}`);

  // Secrets a function declares that src/config/params.ts does not (another codebase file).
  const loaded = await keyedFunctions(addr('functions'), PROJECT_ID);
  const declared = [
    ...new Set(
      loaded.flatMap(({ def }) => (def.secretEnvironmentVariables ?? []).map((s) => s.key)),
    ),
  ];
  const more = ensureLocalSecrets(declared);
  if (more.length > 0) log(`functions/.secret.local: local values for ${more.join(', ')}`);

  // Triggers go live before the seed, so seeded tasks notify as any write would.
  let triggers;
  if (firestore.kind === 'gcloud') {
    await keepTriggersRegistered();
    triggers = firestoreTriggerList(loaded);
  } else if (firestore.kind === 'embedded') {
    triggers = await startTriggerRelay();
  } else {
    triggers = firestoreTriggerList(loaded);
  }

  log('seeding demo data…');
  const { seedDemo, waitForSeedEffects } = require('./seed-demo.cjs');
  const seed = await seedDemo({ projectId: PROJECT_ID, authHost: addr('auth'), firestoreHost });
  log(`seeded (${seed.created} new document(s))`);
  // Not "ready" while the seed's own trigger runs (and their workers' cold starts) still hold the
  // Functions emulator: the first assignment a user makes would wait behind them.
  const settle = await waitForSeedEffects({ projectId: PROJECT_ID, firestoreHost });
  log(
    settle.settled
      ? `the seed's triggers ran (${settle.ms} ms)`
      : `still waiting for ${settle.waitingFor.join(', ')} after ${settle.ms} ms; going on`,
  );

  let scheduled = null;
  if (process.env.TASKFLOW_SCHEDULES !== 'off') {
    scheduled = await scheduledFunctions(addr('functions'), PROJECT_ID);
    // The every-minute functions run once now (their workers start here, not under the first
    // requests after "ready"), then on the clock.
    const first = await startScheduler();
    log(`scheduler: first run of ${first.ran} function(s) in ${first.ms} ms`);
  }

  banner({ firestore: label, seed, seconds: elapsed(started), triggers, scheduled, forwarded });
}

/** `[{ name, document }]` of the loaded Firestore triggers, for the banner. */
function firestoreTriggerList(loaded) {
  return loaded
    .filter(({ def }) => isFirestoreTrigger(def))
    .map(({ def }) => ({
      name: def.name ?? def.entryPoint,
      document:
        def.eventTrigger.eventFilterPathPatterns?.document ??
        def.eventTrigger.eventFilters?.document ??
        def.eventTrigger.resource,
    }));
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
