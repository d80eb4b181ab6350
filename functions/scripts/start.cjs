#!/usr/bin/env node
// `npm start`: the whole backend on this machine. Builds the functions; starts a Firestore-protocol
// server (the official emulator when Java 21+ is available, as firebase-tools requires, else the
// embedded one), the Auth, Functions and Hosting emulators; seeds demo data; prints how to call
// the API. Ctrl-C (or SIGTERM) stops every process it started.
// TASKFLOW_FIRESTORE=embedded|emulator overrides the choice of Firestore.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');

const FUNCTIONS_DIR = path.resolve(__dirname, '..');
const ROOT_DIR = path.dirname(FUNCTIONS_DIR);
const PROJECT_ID = 'demo-taskflow';
const REGION = 'us-central1';
const FIREBASE_CLI = path.join(FUNCTIONS_DIR, 'node_modules/firebase-tools/lib/bin/firebase.js');
const EMBEDDED_FIRESTORE = path.join(__dirname, 'embedded-firestore.cjs');
const MIN_JAVA_FOR_EMULATOR = 21;
// The Functions emulator writes every param it resolved from a default to functions/.env.local,
// which would then pin today's defaults in later runs. When no such file exists, this script
// creates it (marked) and deletes it on exit; a developer's own .env.local is left alone.
const ENV_LOCAL = path.join(FUNCTIONS_DIR, '.env.local');
const ENV_LOCAL_MARKER =
  '# Written by scripts/start.cjs for one run of the local stack; deleted on exit.';
// Cold start of the CLI, the functions' discovery and the first Firestore round trip; generous
// because the official emulator may first have to download its jar.
const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 5_000;

// Ports come from firebase.json so the CLI and this script cannot disagree.
const { emulators } = require(path.join(ROOT_DIR, 'firebase.json'));
const addr = (name) => `${emulators[name].host}:${emulators[name].port}`;

const log = (message) => process.stdout.write(`[start] ${message}\n`);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `{ name, child, exited }` of every process group started here. */
const children = [];
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

/** Creates the marked .env.local unless the developer has one (a stale marked one is replaced). */
function claimEnvLocal() {
  if (fs.existsSync(ENV_LOCAL) && !ownsEnvLocal()) {
    log('functions/.env.local exists: the Functions emulator reads it (and adds missing params)');
    return;
  }
  fs.writeFileSync(ENV_LOCAL, `${ENV_LOCAL_MARKER}\n`);
}

function fail(message) {
  void shutdown(1, message);
}

/**
 * Starts a child in a process group of its own: a terminal's Ctrl-C reaches only this process,
 * which then stops each group as a whole. A child that dies while the stack runs stops the rest.
 */
function startChild(name, args, options) {
  const child = spawn(process.execPath, args, {
    ...options,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.once('error', (err) => fail(`could not start ${name}: ${err.message}`));
  void exited.then(({ code, signal }) => {
    if (stopping === undefined) {
      fail(`${name} exited unexpectedly (${signal ?? `exit code ${code}`}); stopping the rest`);
    }
  });
  children.push({ name, child, exited });
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

function chooseFirestore() {
  const forced = process.env.TASKFLOW_FIRESTORE;
  if (forced === 'embedded' || forced === 'emulator') return { kind: forced, why: 'forced' };
  const java = javaMajorVersion();
  return java >= MIN_JAVA_FOR_EMULATOR
    ? { kind: 'emulator', why: `Java ${java}` }
    : { kind: 'embedded', why: java === 0 ? 'no Java found' : `Java ${java} < 21` };
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

/** GET over a fresh connection (no keep-alive pool holding the process open). */
function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 15_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function waitFor200(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (stopping !== undefined) await stopping;
    try {
      const { status, body } = await get(url);
      if (status === 200) return body;
      last = `HTTP ${status} ${body.slice(0, 300)}`;
    } catch (e) {
      last = e.message;
    }
    await delay(500);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

function banner({ firestore, firestoreHost, seed, seconds }) {
  const fn = `http://${addr('functions')}/${PROJECT_ID}/${REGION}`;
  const api = `http://localhost:${emulators.hosting.port}/api`;
  const bob = seed.users.find((u) => u.key === 'bob');
  const alice = seed.users.find((u) => u.key === 'alice');
  const rule = '─'.repeat(78);
  const lines = [
    rule,
    `TaskFlow local stack ready in ${seconds} s (project ${PROJECT_ID})`,
    rule,
    `API (via Hosting)   ${api}`,
    `  health            ${api}/health`,
    `  OpenAPI           ${api}/openapi.json`,
    `API function        ${fn}/api`,
    `Callables           ${fn}/<name>   e.g. getPreferences, updatePreferences`,
    `Auth emulator       http://${addr('auth')}`,
    `Firestore           ${firestoreHost}   (${firestore})`,
    '',
    `Demo users (password "${seed.password}"):`,
    ...seed.users.map(
      (u) =>
        `  ${u.email.padEnd(22)} uid ${u.uid}${u.admin ? '   admin (claim {admin: true})' : ''}`,
    ),
    `  workspace ${seed.workspaceId}, project ${seed.projectId}, tasks ${seed.taskIds.join(', ')}`,
    '',
    'ID token:  npm --prefix functions run token -- alice@taskflow.test',
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
  const embedded = firestore.kind === 'embedded';
  const firestoreHost = addr('firestore');
  const controlPort = emulators.firestore.port + 1;

  const wanted = ['firestore', 'auth', 'functions', 'hosting', 'hub', 'logging'].map((name) => ({
    name,
    host: emulators[name].host,
    port: emulators[name].port,
  }));
  if (embedded) {
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

  const only = ['auth', 'functions', 'hosting'];
  const env = { ...process.env, NO_UPDATE_NOTIFIER: '1', METADATA_SERVER_DETECTION: 'none' };
  if (embedded) {
    log(`Firestore: embedded server on ${firestoreHost} (${firestore.why})`);
    startChild('embedded Firestore', [EMBEDDED_FIRESTORE], {
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
  } else {
    log(`Firestore: official emulator on ${firestoreHost} (${firestore.why})`);
    only.unshift('firestore');
    // firebase-tools sets it for the runtimes from the emulator it starts.
    delete env.FIRESTORE_EMULATOR_HOST;
  }

  claimEnvLocal();
  log(`starting firebase emulators: ${only.join(',')}…`);
  startChild(
    'firebase emulators',
    [FIREBASE_CLI, 'emulators:start', '--only', only.join(','), '--project', PROJECT_ID],
    { cwd: ROOT_DIR, env },
  );

  const health = `http://${addr('hosting')}/api/health`;
  log(`waiting for ${health}…`);
  await waitFor200(health, READY_TIMEOUT_MS);

  log('seeding demo data…');
  const { seedDemo } = require('./seed-demo.cjs');
  const seed = await seedDemo({ projectId: PROJECT_ID, authHost: addr('auth'), firestoreHost });
  log(`seeded (${seed.created} new document(s))`);

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  banner({
    firestore: embedded ? 'embedded @firestore-emulator/server' : 'official Firestore emulator',
    firestoreHost,
    seed,
    seconds,
  });
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
