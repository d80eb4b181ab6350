import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { initializeApp } from 'firebase-admin/app';
import { getFirestore, Timestamp } from 'firebase-admin/firestore';
import { AUTH_PROJECT_ID, startAuthEmulator } from '../test/support/auth-emulator';
import { freePort, waitForHttp } from '../test/support/ports';
import {
  BENCH_PAGE,
  PRODUCTION_LIMITS,
  type LimiterWrites,
  type ServerReady,
  type TargetSpec,
  type Variant,
} from './api-server';
import { PROJECTS, TASKS } from '../src/storage/collections';

/**
 * `npm run bench:api` — what the `api` function's middleware costs per request.
 *
 * Serves, in one child process, the `api` Express app exactly as production builds it (token
 * verification by the Admin SDK, rate limiter, validation, production logger, helmet, CORS,
 * request ids, the OpenAPI-derived routes) and a bare Express handler calling the same domain
 * functions (same Firestore reads and writes; the token's payload decoded, not verified), both in
 * plain `node:http` servers as the functions framework runs them. Then loads each with autocannon,
 * back to back, for `GET /api/tasks`, `POST /api/tasks` and `GET /api/health`, against the same
 * Firestore emulator (FIRESTORE_EMULATOR_HOST, else the embedded @firestore-emulator/server in a
 * process of its own) with real Auth-emulator ID tokens (FIREBASE_AUTH_EMULATOR_HOST, else
 * firebase-tools' Auth emulator).
 *
 * Then, unless `--no-breakdown`, the app with one part switched off at a time (rate limiter,
 * token verification, logging) on `GET /api/tasks`, to price each part, with the server's CPU time
 * per request over sequential requests (steadier than latency on a busy machine).
 *
 * The process exits 1 when the app's p50 or p99 is above 1.3× the bare handler's on any route.
 * Flags: --duration S (per run, default 6), --connections N (default 20), --json, --no-breakdown.
 */

const GOAL = 1.3;
/** Sequential requests per variant for the CPU-per-request figures. */
const CPU_REQUESTS = 100;
const ROUTES = ['GET /api/tasks', 'POST /api/tasks', 'GET /api/health'] as const;
type Route = (typeof ROUTES)[number];

interface Options {
  duration: number;
  connections: number;
  json: boolean;
  breakdown: boolean;
  /** Only the rate-limiter check (no app-vs-bare runs, no ratio goal). */
  limiterOnly: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    duration: 6,
    connections: 20,
    json: false,
    breakdown: true,
    limiterOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${arg ?? ''} needs a positive number`);
      return v;
    };
    if (arg === '--duration') options.duration = num();
    else if (arg === '--connections') options.connections = Math.round(num());
    else if (arg === '--json') options.json = true;
    else if (arg === '--no-breakdown') options.breakdown = false;
    else if (arg === '--limiter-only') options.limiterOnly = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        'usage: npm run -s bench:api -- [--duration S] [--connections N] [--json] [--no-breakdown] [--limiter-only]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${arg ?? ''}`);
  }
  return options;
}

interface Measured {
  route: Route;
  variant: Variant;
  requests: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The embedded Firestore server in a child process (so it has its own event loop). */
async function startFirestore(): Promise<{ host: string; stop(): void }> {
  const given = process.env.FIRESTORE_EMULATOR_HOST;
  if (given !== undefined && given !== '') return { host: given, stop: () => undefined };
  const [port, controlPort] = await Promise.all([freePort(), freePort()]);
  const script = path.resolve(__dirname, '../../../../scripts/embedded-firestore.cjs');
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: {
      ...process.env,
      FIRESTORE_PORT: String(port),
      FIRESTORE_CONTROL_PORT: String(controlPort),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForHttp(`http://127.0.0.1:${String(controlPort)}/healthz`, 60_000);
  return { host: `127.0.0.1:${String(port)}`, stop: () => child.kill('SIGTERM') };
}

async function startAuth(): Promise<{ host: string; stop(): Promise<void> }> {
  const given = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (given !== undefined && given !== '') return { host: given, stop: () => Promise.resolve() };
  return startAuthEmulator();
}

async function signUp(authHost: string): Promise<{ uid: string; idToken: string }> {
  const res = await fetch(
    `http://${authHost}/identitytoolkit.googleapis.com/v1/accounts:signUp?key=fake-api-key`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `bench-${randomUUID().slice(0, 12)}@taskflow.test`,
        password: `pw-${randomUUID()}`,
        returnSecureToken: true,
      }),
    },
  );
  if (!res.ok) throw new Error(`Auth emulator sign-up failed: ${String(res.status)}`);
  const body = (await res.json()) as { localId: string; idToken: string };
  return { uid: body.localId, idToken: body.idToken };
}

/** One project with the user as its member and 30 tasks, in the target's own Firestore project. */
async function seed(projectId: string, members: string[]): Promise<void> {
  const uid = members[0] ?? '';
  const db = getFirestore(initializeApp({ projectId }, `seed-${projectId}`));
  const now = Timestamp.now();
  const batch = db.batch();
  // `bench-project` is listed (30 tasks, whatever ran before); `bench-writes` takes the created
  // tasks, so a later listing round reads the same page as the first.
  for (const [id, name] of [
    ['bench-project', 'Bench'],
    ['bench-writes', 'Bench writes'],
  ] as const) {
    batch.set(db.collection(PROJECTS).doc(id), {
      name,
      description: '',
      workspaceId: 'bench-workspace',
      ownerId: uid,
      members,
      createdAt: now,
      updatedAt: now,
    });
  }
  for (let i = 0; i < 30; i++) {
    batch.set(db.collection(TASKS).doc(`bench-task-${String(i)}`), {
      title: `Task ${String(i)}`,
      description: 'Seeded by the API benchmark',
      projectId: 'bench-project',
      workspaceId: 'bench-workspace',
      createdBy: uid,
      updatedBy: uid,
      assigneeId: uid,
      status: 'todo',
      priority: 'medium',
      dueDate: null,
      completedAt: null,
      recurrence: null,
      deletedAt: null,
      createdAt: Timestamp.fromMillis(now.toMillis() - i * 1000),
      updatedAt: now,
    });
  }
  await batch.commit();
  await db.terminate();
}

/**
 * Deletes the tasks the write rounds created (`bench-writes`). The emulator's query cost grows with
 * the collection, so without this every listing after a write round would read a bigger store
 * than the ones before it, and the breakdown's `app` round (after the writes) would not compare
 * with its other variants.
 */
async function deleteWrites(projectIds: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const projectId of projectIds) {
    const db = getFirestore(
      initializeApp({ projectId }, `clean-${projectId}-${String(Date.now())}`),
    );
    for (;;) {
      const page = await db
        .collection(TASKS)
        .where('projectId', '==', 'bench-writes')
        .select()
        .limit(500)
        .get();
      if (page.empty) break;
      const batch = db.batch();
      for (const doc of page.docs) batch.delete(doc.ref);
      await batch.commit();
      deleted += page.size;
    }
    await db.terminate();
  }
  return deleted;
}

function run(
  port: number,
  route: Route,
  token: string,
  options: Options,
): Promise<autocannon.Result> {
  const [method, urlPath] = route.split(' ') as ['GET' | 'POST', string];
  const url =
    urlPath === '/api/tasks' && method === 'GET'
      ? `http://127.0.0.1:${String(port)}/api/tasks?projectId=bench-project&limit=${String(BENCH_PAGE)}`
      : `http://127.0.0.1:${String(port)}${urlPath}`;
  return autocannon({
    url,
    method,
    connections: options.connections,
    duration: options.duration,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-forwarded-for': '203.0.113.10',
    },
    body:
      method === 'POST'
        ? JSON.stringify({ projectId: 'bench-writes', title: 'Benchmarked' })
        : undefined,
  });
}

function summary(route: Route, variant: Variant, r: autocannon.Result): Measured {
  return {
    route,
    variant,
    requests: r.requests.total,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

interface Abuse {
  hammerRps: number;
  hammerAllowed: number;
  hammerLimited: number;
  quietAllowed: number;
  quietFailed: number;
}

/**
 * One user sends `GET /api/users/{uid}/preferences` (one document read) as fast as 25 connections allow (capped at 400 req/s) while
 * another user, from another address, sends 2 req/s; the production limits apply.
 */
async function hammer(
  port: number,
  loudUser: { uid: string; idToken: string },
  quietUser: { uid: string; idToken: string },
  options: Options,
): Promise<Abuse> {
  const url = (uid: string) => `http://127.0.0.1:${String(port)}/api/users/${uid}/preferences`;
  const token = loudUser.idToken;
  const quietToken = quietUser.idToken;
  const [loud, quiet] = await Promise.all([
    autocannon({
      url: url(loudUser.uid),
      connections: 25,
      overallRate: 400,
      duration: options.duration,
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.20' },
    }),
    autocannon({
      url: url(quietUser.uid),
      connections: 1,
      overallRate: 2,
      duration: options.duration,
      headers: { authorization: `Bearer ${quietToken}`, 'x-forwarded-for': '203.0.113.21' },
    }),
  ]);
  const status = (r: autocannon.Result, code: string): number =>
    (r.statusCodeStats as Record<string, { count: number } | undefined>)[code]?.count ?? 0;
  return {
    hammerRps: Math.round(loud.requests.total / options.duration),
    hammerAllowed: status(loud, '200'),
    hammerLimited: status(loud, '429'),
    quietAllowed: status(quiet, '200'),
    quietFailed: quiet.requests.total - status(quiet, '200') + quiet.errors,
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  process.env.GCLOUD_PROJECT ??= AUTH_PROJECT_ID;
  log('Starting the emulators…');
  const firestore = await startFirestore();
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  const auth = await startAuth();
  process.env.FIREBASE_AUTH_EMULATOR_HOST = auth.host;
  let server: ChildProcess | undefined;
  try {
    const user = await signUp(auth.host);
    const quietUser = await signUp(auth.host);
    const variants: Variant[] = options.limiterOnly
      ? ['limited']
      : options.breakdown
        ? ['bare', 'app', 'no-limiter', 'no-verify', 'silent-log', 'limited']
        : ['bare', 'app', 'limited'];
    const run_id = randomUUID().slice(0, 8);
    const targets: TargetSpec[] = variants.map((variant) => ({
      variant,
      projectId: `demo-bench-api-${run_id}-${variant}`,
    }));
    await Promise.all(targets.map((t) => seed(t.projectId, [user.uid, quietUser.uid])));

    server = fork(path.join(__dirname, 'api-server.js'), [], {
      env: {
        ...process.env,
        BENCH_API_TARGETS: JSON.stringify(targets),
        BENCH_API_AUTH_PROJECT: AUTH_PROJECT_ID,
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const ready = await new Promise<ServerReady>((resolve, reject) => {
      server?.once('message', (m) => {
        resolve(m as ServerReady);
      });
      server?.once('exit', (code) => {
        reject(new Error(`the bench server exited (${String(code)})`));
      });
    });
    const port = (v: Variant): number => {
      const p = ready.ports[v];
      if (p === undefined) throw new Error(`no server for ${v}`);
      return p;
    };

    // Warm both (JIT, token key fetch, first Firestore connection) before measuring.
    log('Warming up…');
    for (const v of variants.filter((x) => x !== 'limited')) {
      for (const route of ROUTES) {
        await run(port(v), route, user.idToken, { ...options, duration: 1 });
      }
    }
    const projectIds = targets.map((t) => t.projectId);
    await deleteWrites(projectIds);

    const results: Measured[] = [];
    for (const route of options.limiterOnly ? [] : ROUTES) {
      // Back to back, bare first then app, then once more the other way round: the emulator's
      // state and the machine's other load weigh on both alike.
      const rounds: Variant[] = ['bare', 'app', 'app', 'bare'];
      const byVariant: Record<string, autocannon.Result[]> = {};
      for (const v of rounds) {
        log(`${route} → ${v}`);
        (byVariant[v] ??= []).push(await run(port(v), route, user.idToken, options));
      }
      if (route === 'POST /api/tasks')
        log(`deleted ${String(await deleteWrites(projectIds))} written tasks`);
      for (const v of ['bare', 'app'] as const) {
        const [a, b] = byVariant[v] ?? [];
        if (a === undefined || b === undefined) continue;
        const pa = summary(route, v, a);
        const pb = summary(route, v, b);
        // The mean of the two rounds.
        results.push({
          route,
          variant: v,
          requests: pa.requests + pb.requests,
          rps: Math.round((pa.rps + pb.rps) / 2),
          p50: (pa.p50 + pb.p50) / 2,
          p90: (pa.p90 + pb.p90) / 2,
          p99: (pa.p99 + pb.p99) / 2,
          errors: pa.errors + pb.errors,
          non2xx: pa.non2xx + pb.non2xx,
        });
      }
    }
    const breakdown: Measured[] = [];
    const cpu: { variant: Variant; cpuMsPerRequest: number }[] = [];
    if (options.breakdown && !options.limiterOnly) {
      // Server CPU per request over sequential requests: steadier than latency on a busy machine.
      const ask = <T>(message: object): Promise<T> =>
        new Promise<T>((resolve) => {
          server?.once('message', (m) => {
            resolve(m as T);
          });
          server?.send(message);
        });
      const url = (v: Variant) =>
        `http://127.0.0.1:${String(port(v))}/api/tasks?projectId=bench-project&limit=${String(BENCH_PAGE)}`;
      for (const v of ['bare', 'app', 'no-limiter', 'no-verify', 'silent-log'] as const) {
        await ask({ cpu: 'start' });
        for (let i = 0; i < CPU_REQUESTS; i++) {
          const res = await fetch(url(v), {
            headers: { authorization: `Bearer ${user.idToken}`, 'x-forwarded-for': '203.0.113.10' },
          });
          await res.arrayBuffer();
        }
        const used = await ask<{ user: number; system: number }>({ cpu: 'stop' });
        cpu.push({ variant: v, cpuMsPerRequest: (used.user + used.system) / 1000 / CPU_REQUESTS });
      }
      for (const v of ['app', 'no-limiter', 'no-verify', 'silent-log'] as const) {
        log(`GET /api/tasks → ${v}`);
        breakdown.push(
          summary('GET /api/tasks', v, await run(port(v), 'GET /api/tasks', user.idToken, options)),
        );
      }
    }

    log('Rate limiter: one user hammering the API, another user beside them');
    const abuse = await hammer(port('limited'), user, quietUser, options);
    const writes = await new Promise<LimiterWrites>((resolve) => {
      server?.once('message', (m) => {
        resolve(m as LimiterWrites);
      });
      server?.send({ limiterWrites: true });
    });

    const ratios = (options.limiterOnly ? [] : ROUTES).map((route) => {
      const bare = results.find((r) => r.route === route && r.variant === 'bare');
      const app = results.find((r) => r.route === route && r.variant === 'app');
      if (bare === undefined || app === undefined) throw new Error(`missing runs for ${route}`);
      return {
        route,
        p50: app.p50 / Math.max(bare.p50, 1),
        p99: app.p99 / Math.max(bare.p99, 1),
        rps: app.rps / Math.max(bare.rps, 1),
      };
    });
    const limiterHeld =
      abuse.hammerRps >= 100 &&
      abuse.hammerAllowed <= 2 * PRODUCTION_LIMITS.userPerMinute &&
      abuse.quietFailed === 0 &&
      abuse.quietAllowed > 0 &&
      writes.maxPerDocumentPerSecond <= 1;
    // A run in which nothing completed measures nothing: that is a failure, not a ratio of 0.
    const failed =
      results.some((r) => r.errors > 0 || r.non2xx > 0 || r.requests === 0) || !limiterHeld;
    const missed = ratios.some((r) => r.p50 > GOAL || r.p99 > GOAL);
    const report = {
      machine: { cpus: cpus().length, node: process.version },
      options,
      results,
      ratios,
      breakdown,
      cpu,
      limiter: {
        ...abuse,
        limit: PRODUCTION_LIMITS.userPerMinute,
        firestoreWrites: writes,
        held: limiterHeld,
      },
      goal: GOAL,
      ok: !failed && !missed,
    };
    if (options.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const f = (n: number) => n.toFixed(1).padStart(7);
      process.stdout.write(
        `\nAPI benchmark: ${String(options.connections)} connections, ${String(options.duration)} s per run, ${String(cpus().length)} CPUs, Node ${process.version}\n`,
      );
      process.stdout.write(
        `${'route'.padEnd(17)}${'target'.padEnd(12)}   req/s   p50 ms  p90 ms  p99 ms  errors\n`,
      );
      for (const r of [...results, ...breakdown]) {
        process.stdout.write(
          `${r.route.padEnd(17)}${r.variant.padEnd(12)}${String(r.rps).padStart(8)} ${f(r.p50)} ${f(r.p90)} ${f(r.p99)}  ${String(r.errors + r.non2xx).padStart(6)}\n`,
        );
      }
      if (cpu.length > 0) {
        process.stdout.write(
          `\nServer CPU per GET /api/tasks (${String(CPU_REQUESTS)} sequential requests): ${cpu
            .map((c) => `${c.variant} ${c.cpuMsPerRequest.toFixed(1)} ms`)
            .join(', ')}\n`,
        );
      }
      process.stdout.write(`\nApp ÷ bare handler (goal: p50 and p99 ≤ ${String(GOAL)}×)\n`);
      for (const r of ratios) {
        process.stdout.write(
          `${r.route.padEnd(17)} p50 ${r.p50.toFixed(2)}×  p99 ${r.p99.toFixed(2)}×  throughput ${r.rps.toFixed(2)}×  ${r.p50 <= GOAL && r.p99 <= GOAL ? 'ok' : 'MISSED'}\n`,
        );
      }
      process.stdout.write(
        `\nRate limiter (${String(PRODUCTION_LIMITS.userPerMinute)}/min per user): one user at ${String(abuse.hammerRps)} req/s for ${String(options.duration)} s → ${String(abuse.hammerAllowed)} allowed, ${String(abuse.hammerLimited)} answered 429; ` +
          `another user beside them: ${String(abuse.quietAllowed)} allowed, ${String(abuse.quietFailed)} refused or failed; ` +
          `Firestore: ${String(writes.writes)} writes to ${String(writes.documents)} documents, at most ${String(writes.maxPerDocumentPerSecond)} per document per second (closest two writes of one document: ${String(writes.minSpacingMs)} ms apart) — ${limiterHeld ? 'ok' : 'FAILED'}\n`,
      );
      if (failed)
        process.stdout.write(
          'Some requests failed (errors, non-2xx answers or the limiter check).\n',
        );
    }
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    server?.disconnect();
    server?.kill();
    await auth.stop();
    firestore.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
