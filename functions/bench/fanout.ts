import { cpus, totalmem } from 'node:os';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { broadcast, type OutcomeCounts } from '../src/domain/notifications/messaging.service';
import { MAX_BULK_RECIPIENTS } from '../src/operations/messaging.operations';
import {
  documentsRead,
  documentsWritten,
  startCountingFirestore,
  type FirestoreCounts,
} from './counting-firestore';
import { seedUsers, type SeedResult } from './seed';
import { benchNotifier, benchSettings, markdownTable } from './support';

/**
 * `npm run bench` — fan-out of one broadcast.
 *
 * Seeds N users (default 10,000) with 1–3 devices each (deterministic), then sends one
 * announcement to all of them through the notification engine (`broadcast`, which runs each
 * recipient through `deliverNotification`: inbox item, push and email per their preferences), in
 * requests of MAX_BULK_RECIPIENTS ids like the REST bulk send, with the FCM adapter over the
 * recording transport and a counting mailer. Three runs on the same users:
 *   1. concurrency 16 (the REST default), a new batch key;
 *   2. concurrency 64, another new batch key;
 *   3. replay of run 1's batch key at concurrency 16 — idempotency: nothing may be sent again.
 * For each: wall time, Firestore document reads/writes counted at the embedded server's gRPC
 * boundary (see counting-firestore.ts), pushes and sendEach calls, emails, peak memory.
 *
 * Flags: --users N, --concurrency 16,64, --json (machine-readable output only),
 * --emulator-as-is, --help. The process exits 1 when a count is above the per-recipient floor
 * (reads 1 + d, a lookup of a missing document counted as the read Firestore bills it; writes 3)
 * or a push/email count is wrong.
 */

interface Options {
  users: number;
  concurrency: number[];
  json: boolean;
  /** Keep the emulator's copy-on-write collections (O(size) per new document); small N only. */
  emulatorAsIs: boolean;
}

const USAGE = `usage: npm run -s bench -- [--users N] [--concurrency A,B] [--json] [--emulator-as-is]
  --users N          recipients (default 10000)
  --concurrency A,B  recipients in flight per broadcast request, one fresh run per value
                     (default 16,64); a replay of the first run follows
  --json             print one JSON document instead of the table (npm run -s: no npm banner)
  --emulator-as-is   keep the embedded server's copy-on-write collections (each new document
                     copies its whole collection: minutes at 10,000 users; for small --users)`;

/** A bad command line: printed without a stack trace. */
class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = {
    users: 10_000,
    concurrency: [16, 64],
    json: false,
    emulatorAsIs: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg ?? ''} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--users') {
      options.users = Number(value());
      if (!Number.isInteger(options.users) || options.users < 1)
        throw new UsageError(`--users must be a positive integer\n${USAGE}`);
    } else if (arg === '--concurrency') {
      options.concurrency = value().split(',').map(Number);
      if (options.concurrency.some((c) => !Number.isInteger(c) || c < 1))
        throw new UsageError(`--concurrency must be positive integers, comma-separated\n${USAGE}`);
    } else if (arg === '--json') options.json = true;
    else if (arg === '--emulator-as-is') options.emulatorAsIs = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new UsageError(`unknown argument ${arg ?? ''}\n${USAGE}`);
  }
  return options;
}

/** Coalescing does not apply to broadcasts; the window is the production default. */
const SETTINGS = benchSettings(120);

/** Samples RSS and heap every 50 ms while a run is in progress. */
function memorySampler(): { stop(): { rssPeak: number; heapPeak: number; samples: number } } {
  let rssPeak = 0;
  let heapPeak = 0;
  let samples = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
    samples += 1;
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rssPeak, heapPeak, samples };
    },
  };
}

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;

interface RunResult {
  label: string;
  batchKey: string;
  concurrency: number;
  recipients: number;
  requests: number;
  wallMs: number;
  msPer1000: number;
  recipientsPerSecond: number;
  /** First, last, fastest and slowest request (one request = one broadcast() of ≤ 500 ids). */
  requestMs: { first: number; last: number; min: number; max: number };
  cpuMs: number;
  /** CPU time inside the embedded server's handlers (the emulator's work, on this event loop). */
  emulatorCpuMs: number;
  storedDocumentsBefore: number;
  firestore: FirestoreCounts;
  perRecipient: {
    /** What Firestore bills: documents read, missing lookups and empty queries. */
    billedReads: number;
    documentsRead: number;
    missingLookups: number;
    emptyQueries: number;
    writes: number;
    rejectedWrites: number;
    rpcs: number;
  };
  pushes: { accepted: number; failed: number; sendEachCalls: number; avgBatch: number };
  emails: { sent: number; avgBytes: number };
  outcomes: { inbox: OutcomeCounts; push: OutcomeCounts; email: OutcomeCounts };
  memory: {
    baselineRssMb: number;
    baselineHeapMb: number;
    peakRssMb: number;
    peakHeapMb: number;
    /** Heap after the run and a full GC: what the run left behind (mostly the emulator's documents). */
    retainedHeapMb: number;
  };
  logs: { levels: Record<string, number>; problems: string[] };
}

function merge(into: OutcomeCounts, from: OutcomeCounts): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };

  const server = await startCountingFirestore({ inPlaceStorage: !options.emulatorAsIs });
  process.env.FIRESTORE_EMULATOR_HOST = server.host;
  // No GCE metadata server here: stop google-auth-library from probing for one.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const projectId = 'demo-bench';
  const app = initializeApp({ projectId }, 'bench');
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });

  const { deps, messaging, mailer, logger } = benchNotifier(db, SETTINGS);

  log(
    `Fan-out benchmark: ${options.users} users, requests of ${MAX_BULK_RECIPIENTS} ids, ` +
      `embedded Firestore at ${server.host} (in-process, ` +
      `${options.emulatorAsIs ? 'copy-on-write collections as shipped' : 'collections grown in place'})`,
  );
  const seed: SeedResult = await seedUsers(db, {
    users: options.users,
    prefix: 'bench-user-',
    seed: 20_261_123,
    at: new Date('2026-11-23T10:00:00Z'),
  });
  const seedCounts = server.reset();
  log(
    `Seeded ${seed.userIds.length} users, ${seed.devices} devices ` +
      `(1/2/3 devices: ${seed.devicesPerUser[1]}/${seed.devicesPerUser[2]}/${seed.devicesPerUser[3]}), ` +
      `${documentsWritten(seedCounts)} documents in ${(seed.ms / 1000).toFixed(1)} s (not counted below)`,
  );

  const chunks: string[][] = [];
  for (let i = 0; i < seed.userIds.length; i += MAX_BULK_RECIPIENTS)
    chunks.push(seed.userIds.slice(i, i + MAX_BULK_RECIPIENTS));
  const tag = `${Date.now()}`;

  async function run(label: string, batchKey: string, concurrency: number): Promise<RunResult> {
    gc?.();
    const baseline = process.memoryUsage();
    const storedDocumentsBefore = server.storedDocuments(projectId);
    const before = { ...messaging.counts, batches: messaging.batchSizes.length };
    const mailsBefore = mailer.sent;
    const bytesBefore = mailer.bytes;
    logger.state.levels = {};
    logger.state.problems = [];
    server.reset();
    const memory = memorySampler();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const outcomes = { inbox: {}, push: {}, email: {} };
    const requestMs: number[] = [];
    for (const [i, ids] of chunks.entries()) {
      const t0 = performance.now();
      const report = await broadcast(
        deps,
        {
          userIds: ids,
          title: 'Scheduled maintenance',
          body: 'TaskFlow will be read-only on Sunday 29 Nov 02:00–03:00 UTC.',
          data: { kind: 'announcement' },
          idempotencyKey: batchKey,
        },
        `bench-${label}-${i}`,
        { concurrency },
      );
      requestMs.push(performance.now() - t0);
      // One dot per request on stderr, so a long run shows it is moving.
      if (!options.json) process.stderr.write(i === chunks.length - 1 ? '.\n' : '.');
      merge(outcomes.inbox, report.inbox);
      merge(outcomes.push, report.push);
      merge(outcomes.email, report.email);
    }
    const wallMs = performance.now() - started;
    const cpuUsed = process.cpuUsage(cpu);
    const peak = memory.stop();
    gc?.();
    const retained = process.memoryUsage();
    const counts = server.reset();
    const n = seed.userIds.length;
    const rpcs = Object.values(counts.rpcs).reduce((a, b) => a + b, 0);
    const sendEachCalls = messaging.counts.sendEachCalls - before.sendEachCalls;
    const batchSizes = messaging.batchSizes.slice(before.batches);
    const emails = mailer.sent - mailsBefore;
    return {
      label,
      batchKey,
      concurrency,
      recipients: n,
      requests: chunks.length,
      wallMs: round(wallMs, 0),
      msPer1000: round(wallMs / (n / 1000), 0),
      recipientsPerSecond: round(n / (wallMs / 1000), 0),
      requestMs: {
        first: round(requestMs[0] ?? 0, 0),
        last: round(requestMs[requestMs.length - 1] ?? 0, 0),
        min: round(Math.min(...requestMs), 0),
        max: round(Math.max(...requestMs), 0),
      },
      cpuMs: round((cpuUsed.user + cpuUsed.system) / 1000, 0),
      emulatorCpuMs: round(counts.serverCpuMs, 0),
      storedDocumentsBefore,
      firestore: { ...counts, serverCpuMs: round(counts.serverCpuMs, 0) },
      perRecipient: {
        billedReads: round(
          (documentsRead(counts) + counts.lookupsMissing + counts.emptyQueries) / n,
        ),
        documentsRead: round(documentsRead(counts) / n),
        missingLookups: round(counts.lookupsMissing / n),
        emptyQueries: round(counts.emptyQueries / n),
        writes: round(documentsWritten(counts) / n),
        rejectedWrites: round(counts.rejectedWrites / n),
        rpcs: round(rpcs / n),
      },
      pushes: {
        accepted: messaging.counts.accepted - before.accepted,
        failed: messaging.counts.failed - before.failed,
        sendEachCalls,
        avgBatch: round(batchSizes.reduce((a, b) => a + b, 0) / Math.max(1, batchSizes.length)),
      },
      emails: {
        sent: emails,
        avgBytes: round((mailer.bytes - bytesBefore) / Math.max(1, emails), 0),
      },
      outcomes,
      memory: {
        baselineRssMb: round(baseline.rss / MB, 0),
        baselineHeapMb: round(baseline.heapUsed / MB, 0),
        peakRssMb: round(peak.rssPeak / MB, 0),
        peakHeapMb: round(peak.heapPeak / MB, 0),
        retainedHeapMb: round(retained.heapUsed / MB, 0),
      },
      logs: { levels: { ...logger.state.levels }, problems: [...logger.state.problems] },
    };
  }

  const runs: RunResult[] = [];
  const firstKey = `bench:${tag}:c${options.concurrency[0] ?? 16}`;
  for (const [i, concurrency] of options.concurrency.entries()) {
    const key = i === 0 ? firstKey : `bench:${tag}:c${concurrency}:${i}`;
    log(`Run ${i + 1}: concurrency ${concurrency}, new batch key …`);
    runs.push(await run(`c${concurrency}`, key, concurrency));
    log(done(runs[runs.length - 1]));
  }
  const replayConcurrency = options.concurrency[0] ?? 16;
  log(`Run ${runs.length + 1}: replay of run 1's batch key, concurrency ${replayConcurrency} …`);
  runs.push(await run(`replay c${replayConcurrency}`, firstKey, replayConcurrency));
  log(done(runs[runs.length - 1]));

  // The floor for a recipient with d devices and default preferences (see docs/benchmarks.md): reads the
  // profile and the d devices (the token index only for a device the app wrote itself: none here),
  // and nothing else — the profile says whether its address is suppressed, so the suppression list
  // is not looked up (a missing lookup is billed as a read and would count here); writes the inbox
  // item and the one delivery record, created and finished. Replay: the profile read, 2 rejected creates. Each
  // request is also a broadcast job (docs/broadcast.md), spread over its recipients: fresh — the job
  // and its shard marker looked up (1 read, 1 missing), the job read for the answer (1 read), the
  // job created and the marker + counts committed (3 writes); replay — 3 reads, both commits
  // rejected (3 writes: the job's create, the marker's create and the counts). A count above the floor fails the run (exit 1); pushes and emails must match.
  const n = seed.userIds.length;
  const perJob = chunks.length / n;
  const model = {
    fresh: {
      billedReads: (n + seed.devices) / n + 3 * perJob,
      documentsRead: (n + seed.devices) / n + 2 * perJob,
      missingLookups: perJob,
      writes: 3 + 3 * perJob,
      pushes: seed.devices,
    },
    replay: {
      billedReads: 1 + 3 * perJob,
      documentsRead: 1 + 3 * perJob,
      missingLookups: 0,
      writes: 0,
      rejectedWrites: 2 + 3 * perJob,
      pushes: 0,
    },
  };
  const problems: string[] = [];
  for (const r of runs) {
    const m = r.label.startsWith('replay')
      ? { ...model.replay }
      : { ...model.fresh, rejectedWrites: 0 };
    const atMost = (what: string, got: number, floor: number): void => {
      if (got > floor + 1e-9) problems.push(`${r.label}: ${what} ${got}, above the floor ${floor}`);
    };
    const exactly = (what: string, got: number, want: number): void => {
      if (Math.abs(got - want) > 1e-9)
        problems.push(`${r.label}: ${what} ${got}, expected ${want}`);
    };
    atMost('billed reads / recipient', r.perRecipient.billedReads, round(m.billedReads));
    atMost('documents read / recipient', r.perRecipient.documentsRead, round(m.documentsRead));
    atMost('missing lookups / recipient', r.perRecipient.missingLookups, round(m.missingLookups));
    atMost('writes / recipient', r.perRecipient.writes, round(m.writes));
    atMost('rejected writes / recipient', r.perRecipient.rejectedWrites, round(m.rejectedWrites));
    exactly('pushes', r.pushes.accepted, m.pushes);
    exactly('emails', r.emails.sent, r.label.startsWith('replay') ? 0 : n);
    exactly('failed pushes', r.pushes.failed, 0);
    if ((r.logs.levels.ERROR ?? 0) + (r.logs.levels.WARN ?? 0) > 0)
      problems.push(`${r.label}: ${JSON.stringify(r.logs.problems)}`);
  }

  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    platform: `${process.platform}/${process.arch}`,
    exposeGc: gc !== undefined,
    maxRssMb: round(process.resourceUsage().maxRSS / 1024, 0),
  };
  const result = {
    users: n,
    devices: seed.devices,
    devicesPerUser: seed.devicesPerUser,
    requestSize: MAX_BULK_RECIPIENTS,
    emulatorStorage: options.emulatorAsIs ? 'copy-on-write (as shipped)' : 'in place',
    seed: { ms: round(seed.ms, 0), writes: documentsWritten(seedCounts) },
    machine,
    runs,
    model,
    matchesModel: problems.length === 0,
    problems,
  };

  await deleteApp(app);
  server.stop();

  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    process.stdout.write(`\n${table(runs)}\n\n${EXPLANATION}\n`);
    process.stdout.write(
      `\nMachine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}` +
        `; process peak RSS (whole run, seeding included) ${machine.maxRssMb} MB\n`,
    );
    process.stdout.write(
      problems.length === 0
        ? 'Counts are at or below the per-recipient floor (see above).\n'
        : `Counts above the floor or wrong:\n  ${problems.join('\n  ')}\n`,
    );
  }
  if (problems.length > 0) process.exitCode = 1;
}

function done(r: RunResult | undefined): string {
  if (r === undefined) return '';
  return `  ${r.recipients} recipients in ${(r.wallMs / 1000).toFixed(1)} s (CPU ${(r.cpuMs / 1000).toFixed(1)} s)`;
}

function table(runs: readonly RunResult[]): string {
  const fmt = (n: number): string => n.toLocaleString('en-US');
  const outcome = (o: OutcomeCounts): string =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ');
  const rows: [string, (r: RunResult) => string][] = [
    ['recipients (requests)', (r) => `${fmt(r.recipients)} (${r.requests})`],
    ['concurrency', (r) => String(r.concurrency)],
    ['wall time', (r) => `${(r.wallMs / 1000).toFixed(1)} s`],
    ['  per 1,000 recipients', (r) => `${fmt(r.msPer1000)} ms`],
    ['  recipients / s', (r) => fmt(r.recipientsPerSecond)],
    ['  request first / last', (r) => `${fmt(r.requestMs.first)} / ${fmt(r.requestMs.last)} ms`],
    ['CPU (user+sys)', (r) => `${(r.cpuMs / 1000).toFixed(1)} s`],
    ['  in emulator handlers', (r) => `${(r.emulatorCpuMs / 1000).toFixed(1)} s`],
    ['  outside the emulator', (r) => `${((r.cpuMs - r.emulatorCpuMs) / 1000).toFixed(1)} s`],
    [
      '    per 1,000 recipients',
      (r) => `${fmt(Math.round((r.cpuMs - r.emulatorCpuMs) / (r.recipients / 1000)))} ms`,
    ],
    ['docs stored before run', (r) => fmt(r.storedDocumentsBefore)],
    ['reads billed / recipient', (r) => r.perRecipient.billedReads.toFixed(2)],
    ['  docs read / recipient', (r) => r.perRecipient.documentsRead.toFixed(2)],
    ['  missing lookups / rcpt', (r) => r.perRecipient.missingLookups.toFixed(2)],
    ['  empty queries / rcpt', (r) => r.perRecipient.emptyQueries.toFixed(2)],
    ['docs written / recipient', (r) => r.perRecipient.writes.toFixed(2)],
    [
      '  create/update/set/del',
      (r) =>
        [r.firestore.creates, r.firestore.updates, r.firestore.sets, r.firestore.deletes]
          .map(fmt)
          .join('/'),
    ],
    ['  rejected writes / rcpt', (r) => r.perRecipient.rejectedWrites.toFixed(2)],
    ['gRPC calls / recipient', (r) => r.perRecipient.rpcs.toFixed(2)],
    ['pushes to transport', (r) => fmt(r.pushes.accepted + r.pushes.failed)],
    ['  sendEach calls (avg size)', (r) => `${fmt(r.pushes.sendEachCalls)} (${r.pushes.avgBatch})`],
    ['emails sent', (r) => fmt(r.emails.sent)],
    ['peak RSS (baseline)', (r) => `${r.memory.peakRssMb} MB (${r.memory.baselineRssMb})`],
    ['peak heap (baseline)', (r) => `${r.memory.peakHeapMb} MB (${r.memory.baselineHeapMb})`],
    ['heap after run + GC', (r) => `${r.memory.retainedHeapMb} MB`],
    ['inbox outcomes', (r) => outcome(r.outcomes.inbox)],
    ['push outcomes', (r) => outcome(r.outcomes.push)],
    ['email outcomes', (r) => outcome(r.outcomes.email)],
  ];
  return markdownTable(['', ...runs.map((r) => r.label)], rows, runs);
}

const EXPLANATION = `How it is counted:
- Firestore: the embedded @firestore-emulator/server runs in this process with its gRPC handlers
  wrapped. "docs read" = documents BatchGetDocuments answered as found (doc.get, getAll) plus
  documents RunQuery returned; lookups answered "missing" and queries that returned nothing are
  shown apart. "reads billed" = all three: Firestore bills a lookup of a missing document and an
  empty query as one read each; the floor applies to it. "docs written" = the writes of Commits
  that succeeded; a rejected Commit (create() of an existing document: ALREADY_EXISTS, the
  engine's idempotency check) writes nothing and is counted as rejected. Seeding is excluded.
- Time: wall time over all requests of a run (each request = one broadcast() of up to
  ${MAX_BULK_RECIPIENTS} ids, requests one after another). The emulator shares the event loop:
  "in emulator handlers" is the part of the CPU time spent inside it, which real Firestore would not
  put on the function. Unless --emulator-as-is, the emulator adds new documents to a collection
  in place instead of copying the whole collection each time (bench/counting-firestore.ts).
- Pushes: messages handed to the recording FCM transport, and its sendEach calls.
- Memory: process.memoryUsage() sampled every 50 ms during the run; baseline before and "after
  run + GC" after a full GC (node --expose-gc). The peak includes garbage not yet collected; the
  in-process emulator keeps every stored document in this heap (the baseline grows run by run).`;

main().catch((e: unknown) => {
  const text =
    e instanceof UsageError ? e.message : e instanceof Error ? (e.stack ?? e.message) : e;
  process.stderr.write(`${String(text)}\n`);
  process.exit(1);
});
