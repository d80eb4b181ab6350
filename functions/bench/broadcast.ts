import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { BROADCAST_SHARD_SIZE } from '../src/domain/notifications/broadcast-plan';
import { documentsRead, documentsWritten, startCountingFirestore } from './counting-firestore';
import type { ShardSample, WorkerInput, WorkerResult } from './broadcast-worker';
import { seedUsers } from './seed';
import { markdownTable } from './support';

/**
 * `npm run bench:broadcast` — a broadcast to every user, sharded (docs/broadcast.md).
 *
 * For each recipient count (default 10,000 then 100,000; `--users` to choose), seeds users up to
 * that count (1–3 devices each, deterministic), then starts one broadcast to every user with a
 * new idempotency key and delivers its shards one after another, as Cloud Tasks would dispatch
 * them, through the real engine (FCM adapter over a recording transport, counting mailer).
 *
 * Memory: the engine runs in a worker thread, which has its own V8 heap; the embedded Firestore
 * server runs on the main thread and keeps every stored document in the main heap. The worker
 * samples its own heap (`v8.getHeapStatistics().used_heap_size`) every 10 ms, and before each shard
 * after a full GC (`--expose-gc`); the main thread's heap is reported apart as the emulator's.
 * Firestore reads and writes are counted at the server's gRPC boundary (counting-firestore.ts).
 *
 * Exits 1 when the engine needs more than ENGINE_OLD_SPACE_MB of old-generation heap (the worker
 * runs with that V8 limit and dies past it), when what the engine keeps between shards (its heap
 * after a full GC at a shard's start) grows from the smallest to the largest count by more than
 * ENGINE_RETAINED_GROWTH_MB, or when a job does not end done with every recipient sent, every
 * device pushed and every user emailed exactly once. The sampled peak (garbage included, so it
 * depends on when V8 collects) is reported, not bounded beyond the V8 limit.
 */

/** The engine worker's V8 old-generation limit: a broadcast that needed more would die here. */
const ENGINE_OLD_SPACE_MB = 128;
/** What the engine keeps between shards may not grow by more than this with the recipients. */
const ENGINE_RETAINED_GROWTH_MB = 8;

const USAGE = `usage: npm run -s bench:broadcast -- [--users A,B] [--concurrency N] [--json]
  --users A,B       recipient counts, ascending (default 10000,100000); users are seeded up to
                    each count in turn and one broadcast goes to all of them
  --concurrency N   recipients in flight per shard (default 16, the production setting)
  --json            print one JSON document instead of the table`;

class UsageError extends Error {}

interface Options {
  users: number[];
  concurrency: number;
  json: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { users: [10_000, 100_000], concurrency: 16, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg ?? ''} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--users') {
      options.users = value().split(',').map(Number);
      if (
        options.users.some((n) => !Number.isInteger(n) || n < 1) ||
        options.users.some((n, k) => k > 0 && n <= (options.users[k - 1] ?? 0))
      )
        throw new UsageError(`--users must be ascending positive integers\n${USAGE}`);
    } else if (arg === '--concurrency') {
      options.concurrency = Number(value());
      if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
        throw new UsageError(`--concurrency must be a positive integer\n${USAGE}`);
    } else if (arg === '--json') options.json = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${arg ?? ''}\n${USAGE}`);
  }
  return options;
}

const MB = 1024 * 1024;
/** Progress is written to stderr after every this many shards. */
const PROGRESS_EVERY = 10;
const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
const gc = (globalThis as { gc?: () => void }).gc;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface RunResult {
  recipients: number;
  devices: number;
  shards: number;
  wallS: number;
  recipientsPerSecond: number;
  startMs: number;
  /** Shard wall times; the medians of the first and last tenth of the full shards show growth. */
  shardMs: { median: number; p95: number; max: number; firstTenth: number; lastTenth: number };
  /** Shard start → successor dispatched (page query + enqueue, without Cloud Tasks' latency). */
  hopMs: { median: number; max: number };
  perRecipient: { documentsRead: number; missingLookups: number; writes: number };
  firestore: { reads: number; writes: number; aggregationQueries: number };
  engineHeapMb: {
    baseline: number;
    peak: number;
    shardStartMax: number;
    after: number;
  };
  emulatorHeapMb: { before: number; peak: number };
  job: WorkerResult['progress'];
  pushes: number;
  emails: number;
  problems: string[];
}

function runWorker(
  input: WorkerInput,
  onShard: (shard: ShardSample) => void,
): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'broadcast-worker.js'), {
      // The worker inherits this process's flags (--expose-gc from the npm script).
      workerData: input,
      resourceLimits: { maxOldGenerationSizeMb: ENGINE_OLD_SPACE_MB },
    });
    worker.on(
      'message',
      (m: { kind: string; sample?: ShardSample; result?: WorkerResult; error?: string }) => {
        if (m.kind === 'shard' && m.sample !== undefined) onShard(m.sample);
        else if (m.kind === 'result' && m.result !== undefined) resolve(m.result);
        else if (m.kind === 'error') reject(new Error(m.error));
      },
    );
    worker.on('error', reject);
    worker.on('exit', (code) => {
      if (code !== 0)
        reject(
          new Error(
            `engine worker exited with ${code} (over ${ENGINE_OLD_SPACE_MB} MB old space?)`,
          ),
        );
    });
  });
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };
  // The server's own CPU time is not reported here: not measuring it saves two getrusage calls
  // per RPC on the emulator's thread.
  const server = await startCountingFirestore({ inPlaceStorage: true, measureCpu: false });
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  process.env.FIRESTORE_EMULATOR_HOST = server.host;
  const projectId = 'demo-bench-broadcast';
  const app = initializeApp({ projectId }, 'bench-seed');
  const db = getFirestore(app);
  const tag = `${Date.now()}`;
  log(
    `Broadcast benchmark: ${options.users.join(', ')} recipients, shards of ${BROADCAST_SHARD_SIZE}, ` +
      `${options.concurrency} in flight per shard; engine in a worker thread, embedded Firestore ` +
      `at ${server.host} on the main thread`,
  );

  const runs: RunResult[] = [];
  let seeded = 0;
  let devices = 0;
  for (const [k, users] of options.users.entries()) {
    const seed = await seedUsers(db, {
      users: users - seeded,
      prefix: `bench-${String.fromCharCode(97 + k)}-`,
      seed: 20_261_202 + k,
      at: new Date('2026-11-23T10:00:00Z'),
      // Straight into the server's state: seeding is not measured (nor counted).
      writer: server.directWriter(projectId),
    });
    seeded = users;
    devices += seed.devices;
    log(`Seeded up to ${seeded} users, ${devices} devices (${(seed.ms / 1000).toFixed(1)} s)`);
    server.reset();
    gc?.();
    const emulatorBefore = getHeapStatistics().used_heap_size;
    let emulatorPeak = emulatorBefore;
    const sampler = setInterval(() => {
      emulatorPeak = Math.max(emulatorPeak, getHeapStatistics().used_heap_size);
    }, 50);
    const started = performance.now();
    // Progress on stderr every PROGRESS_EVERY shards (what a run cut short has measured so far):
    // their median time and engine heap, and the totals up to there.
    let recent: ShardSample[] = [];
    let recipientsSoFar = 0;
    const expectedShards = Math.floor(users / BROADCAST_SHARD_SIZE) + 1;
    const result = await runWorker(
      {
        host: server.host,
        projectId,
        batchKey: `bench:${tag}:${users}`,
        concurrency: options.concurrency,
      },
      (shard) => {
        recent.push(shard);
        recipientsSoFar += shard.recipients;
        if (recent.length < PROGRESS_EVERY) return;
        const elapsedS = (performance.now() - started) / 1000;
        const sofar = server.counts;
        process.stderr.write(
          `  shards ${recent[0]?.index ?? 0}–${shard.index} of ~${expectedShards}: median ` +
            `${Math.round(
              percentile(
                recent.map((r) => r.ms),
                50,
              ),
            )} ms, engine heap at start ≤ ` +
            `${round(Math.max(...recent.map((r) => r.heapStartMb)))} MB, peak ` +
            `${round(Math.max(...recent.map((r) => r.heapPeakMb)))} MB; so far ${recipientsSoFar} ` +
            `recipients in ${elapsedS.toFixed(0)} s (${Math.round(recipientsSoFar / elapsedS)}/s), ` +
            `${round(documentsRead(sofar) / recipientsSoFar, 3)} reads (+` +
            `${round(sofar.lookupsMissing / recipientsSoFar, 3)} missing) and ` +
            `${round(documentsWritten(sofar) / recipientsSoFar, 3)} writes per recipient, emulator ` +
            `heap ${round(getHeapStatistics().used_heap_size / MB)} MB (peak ${round(emulatorPeak / MB)})\n`,
        );
        recent = [];
      },
    );
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const counts = server.reset();
    const n = users;
    const shardMs = result.shards.map((s) => s.ms);
    // Growth is read on full shards only (the last one is partial or empty).
    const fullMs = result.shards
      .filter((s) => s.recipients === BROADCAST_SHARD_SIZE)
      .map((s) => s.ms);
    const tenth = Math.max(1, Math.floor(fullMs.length / 10));
    const hopMs = result.shards.flatMap((s) => (s.hopMs === null ? [] : [s.hopMs]));
    const problems: string[] = [];
    const expect = (what: string, got: unknown, want: unknown): void => {
      if (got !== want) problems.push(`${n}: ${what} ${String(got)}, expected ${String(want)}`);
    };
    expect('job done', result.progress.done, true);
    expect('recipients sent', result.progress.sent, n);
    expect('job total', result.progress.total, n);
    expect('pushes', result.pushes.accepted, devices);
    expect('emails', result.emails, n);
    if ((result.logs.levels.ERROR ?? 0) + (result.logs.levels.WARN ?? 0) > 0)
      problems.push(`${n}: ${JSON.stringify(result.logs.problems)}`);
    runs.push({
      recipients: n,
      devices,
      shards: result.shards.length,
      wallS: round(wallMs / 1000),
      recipientsPerSecond: Math.round(n / (wallMs / 1000)),
      startMs: Math.round(result.startMs),
      shardMs: {
        median: Math.round(percentile(shardMs, 50)),
        p95: Math.round(percentile(shardMs, 95)),
        max: Math.round(Math.max(...shardMs)),
        firstTenth: Math.round(percentile(fullMs.slice(0, tenth), 50)),
        lastTenth: Math.round(percentile(fullMs.slice(-tenth), 50)),
      },
      hopMs: {
        median: Math.round(percentile(hopMs, 50)),
        max: Math.round(Math.max(0, ...hopMs)),
      },
      perRecipient: {
        documentsRead: round(documentsRead(counts) / n, 3),
        missingLookups: round(counts.lookupsMissing / n, 3),
        writes: round(documentsWritten(counts) / n, 3),
      },
      firestore: {
        reads: documentsRead(counts),
        writes: documentsWritten(counts),
        aggregationQueries: counts.aggregationQueries,
      },
      engineHeapMb: {
        baseline: round(result.heap.baselineMb),
        peak: round(result.heap.peakMb),
        shardStartMax: round(Math.max(...result.shards.map((s) => s.heapStartMb))),
        after: round(result.heap.afterMb),
      },
      emulatorHeapMb: { before: round(emulatorBefore / MB), peak: round(emulatorPeak / MB) },
      job: result.progress,
      pushes: result.pushes.accepted,
      emails: result.emails,
      problems,
    });
    const run = runs[runs.length - 1];
    if (run !== undefined)
      // One line per count as soon as it is done, so a long run's earlier counts are on record.
      process.stderr.write(
        `  ${n} recipients in ${run.wallS} s (${run.recipientsPerSecond}/s), ${run.shards} shards ` +
          `(median ${run.shardMs.median} ms, first/last tenth ${run.shardMs.firstTenth}/` +
          `${run.shardMs.lastTenth} ms); engine heap kept ≤ ${run.engineHeapMb.shardStartMax} MB, ` +
          `peak ${run.engineHeapMb.peak} MB; emulator heap ${run.emulatorHeapMb.before}/` +
          `${run.emulatorHeapMb.peak} MB; per recipient ${run.perRecipient.documentsRead} reads ` +
          `(+${run.perRecipient.missingLookups} missing), ${run.perRecipient.writes} writes; ` +
          `${run.problems.length === 0 ? 'ok' : run.problems.join('; ')}\n`,
      );
  }
  await deleteApp(app);
  server.stop();

  const problems = runs.flatMap((r) => r.problems);
  const first = runs[0];
  const last = runs[runs.length - 1];
  if (first !== undefined && last !== undefined && last !== first) {
    const growth = last.engineHeapMb.shardStartMax - first.engineHeapMb.shardStartMax;
    if (growth > ENGINE_RETAINED_GROWTH_MB)
      problems.push(
        `engine heap kept between shards grew ${round(growth)} MB from ${first.recipients} to ` +
          `${last.recipients} recipients (bound ${ENGINE_RETAINED_GROWTH_MB} MB)`,
      );
  }
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3),
    exposeGc: gc !== undefined,
  };
  const result = {
    shardSize: BROADCAST_SHARD_SIZE,
    concurrency: options.concurrency,
    bounds: {
      engineOldSpaceMb: ENGINE_OLD_SPACE_MB,
      engineRetainedGrowthMb: ENGINE_RETAINED_GROWTH_MB,
    },
    machine,
    runs,
    ok: problems.length === 0,
    problems,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(`\n${table(runs)}\n\n${EXPLANATION}\n`);
    process.stdout.write(
      `\nMachine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}\n`,
    );
    process.stdout.write(
      problems.length === 0
        ? `Engine within ${ENGINE_OLD_SPACE_MB} MB old space, heap kept between shards flat (growth ≤ ${ENGINE_RETAINED_GROWTH_MB} MB); every job done, exactly once.\n`
        : `Problems:\n  ${problems.join('\n  ')}\n`,
    );
  }
  if (problems.length > 0) process.exitCode = 1;
}

function table(runs: readonly RunResult[]): string {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const rows: [string, (r: RunResult) => string][] = [
    ['recipients (devices)', (r) => `${fmt(r.recipients)} (${fmt(r.devices)})`],
    ['shards', (r) => fmt(r.shards)],
    ['wall time (recipients/s)', (r) => `${r.wallS} s (${fmt(r.recipientsPerSecond)})`],
    ['request: job + shard 0 queued', (r) => `${fmt(r.startMs)} ms`],
    [
      'shard time median / p95 / max',
      (r) => `${fmt(r.shardMs.median)} / ${fmt(r.shardMs.p95)} / ${fmt(r.shardMs.max)} ms`,
    ],
    [
      'shard time, first / last tenth',
      (r) => `${fmt(r.shardMs.firstTenth)} / ${fmt(r.shardMs.lastTenth)} ms`,
    ],
    ['shard → next dispatched med/max', (r) => `${fmt(r.hopMs.median)} / ${fmt(r.hopMs.max)} ms`],
    ['docs read / recipient', (r) => r.perRecipient.documentsRead.toFixed(3)],
    ['  missing lookups / rcpt', (r) => r.perRecipient.missingLookups.toFixed(3)],
    ['docs written / recipient', (r) => r.perRecipient.writes.toFixed(3)],
    ['count() aggregations', (r) => fmt(r.firestore.aggregationQueries)],
    ['engine heap: baseline', (r) => `${r.engineHeapMb.baseline} MB`],
    ['engine heap: peak (any shard)', (r) => `${r.engineHeapMb.peak} MB`],
    ['engine heap: shard start, max', (r) => `${r.engineHeapMb.shardStartMax} MB`],
    ['engine heap: after + GC', (r) => `${r.engineHeapMb.after} MB`],
    [
      'emulator heap: before / peak',
      (r) => `${r.emulatorHeapMb.before} / ${r.emulatorHeapMb.peak} MB`,
    ],
    [
      'job total / sent / skip / fail',
      (r) => `${fmt(r.job.total)} / ${fmt(r.job.sent)} / ${r.job.skipped} / ${r.job.failed}`,
    ],
    ['pushes / emails', (r) => `${fmt(r.pushes)} / ${fmt(r.emails)}`],
  ];
  return markdownTable(['', ...runs.map((r) => `${fmt(r.recipients)} users`)], rows, runs);
}

const EXPLANATION = `How it is measured:
- Shards run one after another in the engine worker, as one Cloud Tasks dispatch each: shard time is
  the wall time of one shard (its page query, the dispatch of the next shard, 500 recipients through
  the engine, the marker + counts commit), with the emulator sharing this machine's CPU. "Shard →
  next dispatched" is the time from a shard's start to the enqueue of its successor (its page query
  and the enqueue; Cloud Tasks' own dispatch latency comes on top in production).
- Engine heap: the worker thread's own V8 heap (used_heap_size), sampled every 10 ms; "baseline"
  after setup and a full GC, "peak" the highest sample during any shard (garbage not yet collected
  included), "shard start, max" the largest heap measured after a full GC before a shard (what
  earlier shards left behind: bounded to grow by ${ENGINE_RETAINED_GROWTH_MB} MB at most from the
  smallest count to the largest), "after + GC" when the job is done. The worker runs with a
  ${ENGINE_OLD_SPACE_MB} MB V8 old-generation limit. The emulator's heap (main thread) holds every stored
  document and grows with the data; it is reported apart and not bounded.
- Reads/writes: counted at the embedded server's gRPC boundary over the whole broadcast (the count()
  of the audience, the job, every shard), divided by the recipients. Seeding is excluded.`;

main().catch((e: unknown) => {
  const text =
    e instanceof UsageError ? e.message : e instanceof Error ? (e.stack ?? e.message) : e;
  process.stderr.write(`${String(text)}\n`);
  process.exit(1);
});
