import { cpus, totalmem } from 'node:os';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore, Timestamp, type Firestore } from 'firebase-admin/firestore';
import { FixedClock } from '../src/core/clock';
import type { NotifierDeps } from '../src/domain/notifications/delivery.service';
import {
  DAY_MS,
  MAX_OVERDUE_FOLLOW_UP_DAYS,
  MINUTE_MS,
} from '../src/domain/reminders/reminder-plan';
import { overdueFields, reminderFields } from '../src/storage/task-schedule-fields';
import { runOverdueSweep, runReminderSweep } from '../src/domain/reminders/reminder-sweeps.service';
import { type SweepReport } from '../src/domain/reminders/reminder-sweep-report';
import { fcmMessenger } from '../src/infra/fcm/fcm.messenger';
import { recordingMessaging } from '../test/support/recording-messaging';
import {
  documentsRead,
  documentsWritten,
  startCountingFirestore,
  type FirestoreCounts,
} from './counting-firestore';
import { benchDigestSweep, type DigestSweepBenchResult } from './digest-sweep';
import { prng, seedUsers } from './seed';
import {
  benchSettings,
  countingLogger,
  countingMailer,
  batchedWriter,
  renderTable,
} from './support';
import { TASK_SCHEDULES, TASKS } from '../src/storage/collections';

/**
 * The scheduling benchmark: what the reminder, overdue and digest sweeps cost
 * when only a few of many documents are due.
 *
 * Seeds N tasks (default 100,000; batched writes, not measured) assigned to a pool of users with
 * profiles and devices (seed.ts), with the schedules the task trigger's arming writes
 * (`taskSchedules/{taskId}`: `nextReminderAt`, `reminders`, `overdueCheckAt`, `overdueNotice`,
 * reminder-plan.ts; none for a task never armed): 1% due for
 * a reminder now (the 1 h reminder of a task due in 55–60 minutes), another 1% due for their first
 * overdue notice (fell due in the last 30 minutes), the rest armed in the future (due later, or
 * overdue and already noticed: follow-up tomorrow) or not armed at all (done, no due date). Then
 * runs `runReminderSweep` and `runOverdueSweep` at the seeded "now" with a fixed clock, the FCM
 * adapter over the recording transport and a counting mailer, and counts documents at the
 * embedded server's gRPC boundary (counting-firestore.ts). Each sweep runs a second time at the
 * same instant: the moved instants must leave nothing due. Last, the digest sweep over a day of
 * 15-minute ticks for M users (default 10,000; digest-sweep.ts).
 *
 * Flags: --tasks N, --users M, --pool P, --json, --help.
 */

interface Options {
  tasks: number;
  users: number;
  pool: number;
  json: boolean;
}

const USAGE = `usage: node --expose-gc node_modules/.cache/taskflow-bench/bench/sweeps.js [options]
  --tasks N   tasks seeded for the reminder and overdue sweeps (default 100000; 1% due for each)
  --users M   users of the digest sweep (default 10000)
  --pool P    users the tasks are assigned to (default 2000)
  --json      print one JSON document instead of the tables`;

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { tasks: 100_000, users: 10_000, pool: 2_000, json: false };
  const positive = (flag: string, raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${flag} must be a positive integer\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg ?? ''} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--tasks') options.tasks = positive(arg, value());
    else if (arg === '--users') options.users = positive(arg, value());
    else if (arg === '--pool') options.pool = positive(arg, value());
    else if (arg === '--json') options.json = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg ?? ''}\n${USAGE}`);
  }
  return options;
}

const SETTINGS = benchSettings(0);

/** The seeded "now": a Tuesday noon UTC; both sweeps run at this instant. */
const NOW = new Date('2026-11-24T12:00:00Z');

// ------------------------------------------------------------------------------------------------
// Seeding

/** What the seeded tasks are, by kind. */
interface TaskMix {
  /** Open, `nextReminderAt` in the last 5 minutes: the 1 h reminder is due. */
  reminderDue: number;
  /** Open, fell due in the last 30 minutes, no notice yet: `overdueCheckAt` ≤ now. */
  overdueDue: number;
  /** Open, due later: next reminder and overdue check in the future. */
  upcoming: number;
  /** Open, overdue and already noticed: next follow-up in the future (or none after day 7). */
  noticedOverdue: number;
  /** Done: nothing armed. */
  done: number;
  /** Open without a due date (half of them unassigned): nothing armed. */
  undated: number;
}

interface TaskSeed {
  mix: TaskMix;
  writes: number;
  ms: number;
}

/**
 * Writes `count` tasks `tasks/bench-task-{n}` and the schedules arming would have written
 * (see the module comment), in batches of 500, `concurrency` in flight. Deterministic: task n is
 * due for a reminder when n % 100 = 0 and for an overdue notice when n % 100 = 50.
 */
async function seedTasks(
  db: Firestore,
  options: { count: number; assignees: readonly string[]; nowMs: number; concurrency?: number },
): Promise<TaskSeed> {
  const started = performance.now();
  const random = prng(20_261_124);
  const { nowMs, assignees } = options;
  const width = String(options.count).length;
  const mix: TaskMix = {
    reminderDue: 0,
    overdueDue: 0,
    upcoming: 0,
    noticedOverdue: 0,
    done: 0,
    undated: 0,
  };
  const createdAt = Timestamp.fromMillis(nowMs - 30 * DAY_MS);
  const minute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

  const writer = batchedWriter(db, options.concurrency);
  let writes = 0;

  for (let n = 0; n < options.count; n++) {
    const assigneeId = assignees[Math.floor(random() * assignees.length)] ?? null;
    const r = random();
    let status = random() < 0.7 ? 'todo' : 'in_progress';
    let dueAtMs: number | null = null;
    let assignee = assigneeId;
    /** The task's schedule; null: never armed (no document). */
    let bookkeeping: Record<string, unknown> | null;
    if (n % 100 === 0 || n % 100 === 50) {
      const reminder = n % 100 === 0;
      if (reminder) {
        // The 1 h reminder's instant fell in the last 5 minutes (since the previous tick).
        dueAtMs = nowMs + 60 * MINUTE_MS - Math.floor(random() * 5 * MINUTE_MS);
        mix.reminderDue++;
      } else {
        // Fell due since the previous 30-minute overdue tick.
        dueAtMs = nowMs - Math.floor(random() * 30 * MINUTE_MS);
        mix.overdueDue++;
      }
      const state = { dueAtMs, assigneeId: assignee ?? '', pending: [], sent: [1440] };
      bookkeeping = reminder
        ? {
            ...reminderFields(dueAtMs - 60 * MINUTE_MS, { ...state, pending: [60] }),
            ...overdueFields(dueAtMs, null),
          }
        : {
            ...reminderFields(null, { ...state, sent: [1440, 60] }),
            ...overdueFields(dueAtMs, null),
          };
    } else if (r < 0.55) {
      dueAtMs = minute(nowMs + 2 * 3_600_000 + random() * 30 * DAY_MS);
      const pendingLeads = [1440, 60].filter((l) => (dueAtMs ?? 0) - l * MINUTE_MS > nowMs);
      const next = Math.max(...pendingLeads);
      bookkeeping = {
        ...reminderFields(dueAtMs - next * MINUTE_MS, {
          dueAtMs,
          assigneeId: assignee ?? '',
          pending: pendingLeads,
          sent: [1440, 60].filter((l) => !pendingLeads.includes(l)),
        }),
        ...overdueFields(dueAtMs, null),
      };
      mix.upcoming++;
    } else if (r < 0.7) {
      dueAtMs = minute(nowMs - 3_600_000 - random() * 20 * DAY_MS);
      const day = Math.floor((nowMs - dueAtMs) / DAY_MS);
      const lastDay = Math.min(day, MAX_OVERDUE_FOLLOW_UP_DAYS);
      const nextDay = lastDay + 1;
      bookkeeping = {
        ...reminderFields(null, {
          dueAtMs,
          assigneeId: assignee ?? '',
          pending: [],
          sent: [1440, 60],
        }),
        ...overdueFields(nextDay > MAX_OVERDUE_FOLLOW_UP_DAYS ? null : dueAtMs + nextDay * DAY_MS, {
          dueAtMs,
          assigneeId: assignee ?? '',
          lastDay,
        }),
      };
      mix.noticedOverdue++;
    } else if (r < 0.9) {
      status = 'done';
      dueAtMs = minute(nowMs + (random() - 0.5) * 20 * DAY_MS);
      bookkeeping = { ...reminderFields(null, null), ...overdueFields(null, null) };
      mix.done++;
    } else {
      if (random() < 0.5) assignee = null;
      bookkeeping = null;
      mix.undated++;
    }
    const id = `bench-task-${String(n).padStart(width, '0')}`;
    await writer.set([
      ...(bookkeeping === null
        ? []
        : [[db.collection(TASK_SCHEDULES).doc(id), bookkeeping] as const]),
      [
        db.collection(TASKS).doc(id),
        {
          title: `Bench task ${n}`,
          description: '',
          projectId: `bench-project-${n % 50}`,
          workspaceId: 'bench-workspace',
          createdBy: assigneeId,
          updatedBy: assigneeId,
          assigneeId: assignee,
          status,
          priority: 'medium',
          dueDate: dueAtMs === null ? null : Timestamp.fromMillis(dueAtMs),
          completedAt: status === 'done' ? createdAt : null,
          recurrence: null,
          deletedAt: null,
          createdAt,
          updatedAt: createdAt,
        },
      ],
    ]);
    writes++;
  }
  await writer.close();
  return { mix, writes, ms: performance.now() - started };
}

// ------------------------------------------------------------------------------------------------
// Runs

const gc = (globalThis as { gc?: () => void }).gc;
const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

interface SweepRun {
  label: string;
  /** Tasks seeded due for this sweep. */
  due: number;
  report: SweepReport;
  wallMs: number;
  cpuMs: number;
  /** CPU spent in the in-process emulator's handlers (real Firestore would not bill the function). */
  emulatorCpuMs: number;
  firestore: FirestoreCounts;
  pushes: number;
  sendEachCalls: number;
  emails: number;
  perDue: {
    /** The sweep's own schedule reads (`report.schedulesRead`) ÷ due: the goal is ≤ 1.1. */
    scheduleReads: number;
    /** The sweep's own task reads (`report.tasksRead`) ÷ due: the goal is ≤ 1.1. */
    taskReads: number;
    /** What the sweep reports as billed to it (tasks, empty pages, profiles) ÷ due. */
    sweepReads: number;
    /** Every document read, the engine's included (server counter) ÷ due. */
    allReads: number;
    missingLookups: number;
    writes: number;
  };
  logs: { levels: Record<string, number>; problems: string[] };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const log = (line: string): void => {
    if (!options.json) process.stdout.write(`${line}\n`);
  };

  const server = await startCountingFirestore({ inPlaceStorage: true });
  process.env.FIRESTORE_EMULATOR_HOST = server.host;
  // No GCE metadata server here: stop google-auth-library from probing for one.
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const projectId = 'demo-bench-sweeps';
  const app = initializeApp({ projectId }, 'bench-sweeps');
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });

  const clock = new FixedClock(NOW);
  const messaging = recordingMessaging({ keepMessages: false });
  const mailer = countingMailer();
  const logger = countingLogger();
  const deps: NotifierDeps = {
    db,
    clock,
    logger,
    messenger: fcmMessenger(messaging, { clock }),
    mailer,
    settings: SETTINGS,
  };

  log(
    `Scheduling sweeps benchmark: ${options.tasks} tasks over ${options.pool} assignees, ` +
      `digests for ${options.users} users; embedded Firestore at ${server.host} (in-process)`,
  );
  const seedStarted = performance.now();
  const pool = await seedUsers(db, {
    users: options.pool,
    prefix: 'sweep-user-',
    seed: 20_261_125,
    at: new Date(NOW.getTime() - 60 * DAY_MS),
  });
  const tasks = await seedTasks(db, {
    count: options.tasks,
    assignees: pool.userIds,
    nowMs: NOW.getTime(),
  });
  const seedMs = performance.now() - seedStarted;
  const seedCounts = server.reset();
  log(
    `Seeded ${pool.userIds.length} users (${pool.devices} devices) and ${tasks.writes} tasks: ` +
      `${documentsWritten(seedCounts)} documents in ${(seedMs / 1000).toFixed(1)} s ` +
      `(tasks ${(tasks.ms / 1000).toFixed(1)} s; not counted below)`,
  );
  log(`  task mix: ${JSON.stringify(tasks.mix)}`);

  async function run(
    label: string,
    due: number,
    sweep: (d: NotifierDeps, o: { now: Date }) => Promise<SweepReport>,
  ): Promise<SweepRun> {
    gc?.();
    logger.state.levels = {};
    logger.state.problems = [];
    const pushesBefore = messaging.counts.accepted + messaging.counts.failed;
    const sendEachBefore = messaging.counts.sendEachCalls;
    const mailsBefore = mailer.sent;
    server.reset();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const report = await sweep(deps, { now: NOW });
    const wallMs = performance.now() - started;
    const cpuUsed = process.cpuUsage(cpu);
    const counts = server.reset();
    const per = (n: number) => round(n / Math.max(1, due));
    const result: SweepRun = {
      label,
      due,
      report,
      wallMs: round(wallMs, 0),
      cpuMs: round((cpuUsed.user + cpuUsed.system) / 1000, 0),
      emulatorCpuMs: round(counts.serverCpuMs, 0),
      firestore: { ...counts, serverCpuMs: round(counts.serverCpuMs, 0) },
      pushes: messaging.counts.accepted + messaging.counts.failed - pushesBefore,
      sendEachCalls: messaging.counts.sendEachCalls - sendEachBefore,
      emails: mailer.sent - mailsBefore,
      perDue: {
        scheduleReads: per(report.schedulesRead),
        taskReads: per(report.tasksRead),
        sweepReads: per(report.documentsRead),
        allReads: per(documentsRead(counts)),
        missingLookups: per(counts.lookupsMissing),
        writes: per(documentsWritten(counts)),
      },
      logs: { levels: { ...logger.state.levels }, problems: [...logger.state.problems] },
    };
    log(
      `  ${label}: ${report.schedulesRead} schedules and ${report.tasksRead} tasks read, ` +
        `${report.acted} delivered in ` +
        `${(wallMs / 1000).toFixed(1)} s`,
    );
    return result;
  }

  log('Reminder sweep …');
  const reminders = await run('reminders', tasks.mix.reminderDue, runReminderSweep);
  const remindersAgain = await run('reminders again', 0, runReminderSweep);
  log('Overdue sweep …');
  const overdue = await run('overdue', tasks.mix.overdueDue, runOverdueSweep);
  const overdueAgain = await run('overdue again', 0, runOverdueSweep);

  log(`Digest sweep over ${options.users} users (seeding and scheduling them first) …`);
  const digestStarted = performance.now();
  const digest = await benchDigestSweep(db, { users: options.users });
  const digestTotalMs = performance.now() - digestStarted;

  const problems: string[] = [];
  for (const r of [reminders, overdue]) {
    if (r.report.schedulesRead !== r.due)
      problems.push(`${r.label}: ${r.report.schedulesRead} schedules read, ${r.due} due`);
    if (r.report.tasksRead !== r.due)
      problems.push(`${r.label}: ${r.report.tasksRead} tasks read, ${r.due} due`);
    if (r.perDue.scheduleReads > 1.1)
      problems.push(
        `${r.label}: ${r.perDue.scheduleReads} schedule reads per due task (goal ≤ 1.1)`,
      );
    if (r.report.acted !== r.due)
      problems.push(`${r.label}: ${r.report.acted} delivered, ${r.due} due`);
    if (r.perDue.taskReads > 1.1)
      problems.push(`${r.label}: ${r.perDue.taskReads} task reads per due task (goal ≤ 1.1)`);
  }
  for (const r of [remindersAgain, overdueAgain])
    if (r.report.schedulesRead !== 0 || r.report.tasksRead !== 0 || r.report.acted !== 0)
      problems.push(
        `${r.label}: ${r.report.schedulesRead} schedules and ${r.report.tasksRead} tasks read, ` +
          `${r.report.acted} delivered`,
      );
  for (const r of [reminders, remindersAgain, overdue, overdueAgain]) {
    if (r.report.failures > 0 || !r.report.complete)
      problems.push(`${r.label}: ${r.report.failures} failures, complete ${r.report.complete}`);
    if ((r.logs.levels.ERROR ?? 0) + (r.logs.levels.WARN ?? 0) > 0)
      problems.push(`${r.label}: ${JSON.stringify(r.logs.problems)}`);
  }
  if (digest.digests !== digest.users)
    problems.push(`digests: ${digest.digests} enqueued for ${digest.users} users`);

  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    maxRssMb: round(process.resourceUsage().maxRSS / 1024, 0),
  };
  const result = {
    tasks: options.tasks,
    pool: { users: pool.userIds.length, devices: pool.devices },
    mix: tasks.mix,
    now: NOW.toISOString(),
    seed: {
      ms: round(seedMs, 0),
      tasksMs: round(tasks.ms, 0),
      writes: documentsWritten(seedCounts),
    },
    sweeps: [reminders, remindersAgain, overdue, overdueAgain],
    digest: { ...digest, totalMs: round(digestTotalMs, 0) },
    machine,
    ok: problems.length === 0,
    problems,
  };

  await deleteApp(app);
  server.stop();

  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(
      `\n${sweepTable(options.tasks, [reminders, remindersAgain, overdue, overdueAgain])}\n\n` +
        `${digestTable(digest)}\n\n${EXPLANATION}\n`,
    );
    process.stdout.write(
      `\nMachine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}` +
        `; process peak RSS ${machine.maxRssMb} MB; seeding ${(seedMs / 1000).toFixed(1)} s\n`,
    );
    process.stdout.write(
      problems.length === 0
        ? 'Every due task was read once and notified once; the second runs found nothing due.\n'
        : `Problems:\n  ${problems.join('\n  ')}\n`,
    );
  }
  if (problems.length > 0) process.exitCode = 1;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function sweepTable(tasks: number, runs: readonly SweepRun[]): string {
  const rows: [string, (r: SweepRun) => string][] = [
    ['tasks in collection', () => fmt(tasks)],
    ['due tasks', (r) => fmt(r.due)],
    ['schedule docs read (report)', (r) => fmt(r.report.schedulesRead)],
    ['  ÷ due (goal ≤ 1.1)', (r) => (r.due === 0 ? '–' : r.perDue.scheduleReads.toFixed(2))],
    ['task docs read (report)', (r) => fmt(r.report.tasksRead)],
    ['  ÷ due (goal ≤ 1.1)', (r) => (r.due === 0 ? '–' : r.perDue.taskReads.toFixed(2))],
    ['  pages (queries)', (r) => fmt(r.report.pages)],
    ['reads billed to sweep ÷ due', (r) => (r.due === 0 ? '–' : r.perDue.sweepReads.toFixed(2))],
    [
      'all docs read (server)',
      (r) => `${fmt(documentsRead(r.firestore))} (+${fmt(r.firestore.emptyQueries)} empty)`,
    ],
    ['  ÷ due', (r) => (r.due === 0 ? '–' : r.perDue.allReads.toFixed(2))],
    ['  missing lookups ÷ due', (r) => (r.due === 0 ? '–' : r.perDue.missingLookups.toFixed(2))],
    ['docs written', (r) => fmt(documentsWritten(r.firestore))],
    ['  ÷ due', (r) => (r.due === 0 ? '–' : r.perDue.writes.toFixed(2))],
    ['notifications delivered', (r) => fmt(r.report.acted)],
    ['pushes (sendEach calls)', (r) => `${fmt(r.pushes)} (${fmt(r.sendEachCalls)})`],
    ['emails', (r) => fmt(r.emails)],
    ['wall time', (r) => `${fmt(r.wallMs)} ms`],
    ['  per due task', (r) => (r.due === 0 ? '–' : `${(r.wallMs / r.due).toFixed(1)} ms`)],
    ['CPU (in emulator)', (r) => `${fmt(r.cpuMs)} ms (${fmt(r.emulatorCpuMs)})`],
  ];
  return renderTable(
    ['', ...runs.map((r) => r.label)],
    rows.map(([name, value]) => [name, ...runs.map(value)]),
  );
}

function digestTable(d: DigestSweepBenchResult): string {
  const rows: [string, string][] = [
    ['users (digests enqueued)', `${fmt(d.users)} (${fmt(d.digests)})`],
    ['ticks (every 15 min, one day)', fmt(d.ticks)],
    ['documents read (sweep report)', fmt(d.documentsRead)],
    ['  per user', d.readsPerDigest.toFixed(2)],
    ['time to enqueue, all ticks', `${fmt(round(d.sweepMs, 0))} ms`],
    ['  per user', `${(d.sweepMs / Math.max(1, d.digests)).toFixed(2)} ms`],
    [
      'busiest tick (digests)',
      `${d.busiestTick.at.slice(11, 16)} UTC (${fmt(d.busiestTick.digests)})`,
    ],
    [
      '  time (per digest)',
      `${fmt(round(d.busiestTick.ms, 0))} ms (${d.busiestTick.msPerDigest.toFixed(2)} ms)`,
    ],
    ['seeding + scheduling users', `${(d.seedMs / 1000).toFixed(1)} s`],
  ];
  return renderTable(['digest sweep', ''], rows);
}

const EXPLANATION = `How it is counted:
- "schedule docs read (report)" is the sweep's own count of the taskSchedules documents its
  range queries returned (SweepReport.schedulesRead); "task docs read (report)" the tasks it then
  read, one batched read per page (SweepReport.tasksRead); "reads billed to sweep" adds empty
  pages and the assignee profiles it reads; "all docs read (server)" counts every document the
  embedded server returned (BatchGetDocuments found + RunQuery documents), the notification
  engine's included: profile, devices, token-index entries. Empty queries are shown apart (Firestore bills one read each).
- "docs written" = writes of successful Commits: the inbox item, the push and email delivery
  records (created, then updated when sent) and the schedule's update (never the task).
- "… again" runs the same sweep once more at the same instant: nothing may be due any more.
- Seeding (batched writes of 500, 4 in flight) is excluded from every count. Wall time includes
  the in-process emulator's work (its CPU is shown apart), which real Firestore would not put on
  the function; the emulator answers a range query by scanning the collection.
- Digest sweep: bench/digest-sweep.ts — reads are the sweep's own report (schedule documents plus
  one per empty query), time is the sweep over all 96 ticks with an in-memory Cloud Tasks queue.`;

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
