import { deleteApp, initializeApp } from 'firebase-admin/app';
import {
  getFirestore,
  Timestamp,
  type DocumentReference,
  type Firestore,
} from 'firebase-admin/firestore';
import { FixedClock } from '../src/core/clock';
import {
  spawnDueOccurrences,
  type DueOccurrencesReport,
} from '../src/domain/tasks/recurrence-sweep.service';
import { recurrenceRuleProblem } from '../src/domain/tasks/recurrence-rule';
import { documentsRead, documentsWritten, startCountingFirestore } from './counting-firestore';
import { batchedWriter } from './support';
import { TASK_SCHEDULES, TASKS } from '../src/storage/collections';

/**
 * The abuse benchmark of the recurring-task sweep (`npm run bench:abuse`):
 * (a) one user arms `--flood` on_due series (default 500, past the per-user cap, as documents
 *     written around the API could be) with the costliest rule the validation accepts — daily,
 *     only on 29 February, so each evaluation steps through up to four years of days — all due in
 *     1970, next to `--others` users with one series each; what each run (tick) costs, and whether
 *     everyone else's series are served in the first tick;
 * (b) one poisoned task (it throws on every attempt), due in year 1 so it sorts first, among
 *     `--healthy` due series (default 2,000; `--healthy 10000` for the full case, about five
 *     minutes on a shared two-core machine): the healthy ones are all processed.
 * Reads and writes are counted where the embedded Firestore server answers them.
 */

const NOW = '2026-03-23T10:00:00.000Z';
const WORST_RULE = 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29';

interface Options {
  flood: number;
  others: number;
  healthy: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { flood: 500, others: 200, healthy: 2_000 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--flood') options.flood = value;
    else if (argv[i] === '--others') options.others = value;
    else if (argv[i] === '--healthy') options.healthy = value;
    else throw new Error(`unknown option ${String(argv[i])}`);
  }
  return options;
}

function series(owner: string, due: string, rule = 'FREQ=DAILY'): Record<string, unknown> {
  const at = Timestamp.fromDate(new Date(due));
  return {
    title: 'Recurring',
    description: '',
    projectId: 'p1',
    workspaceId: 'w1',
    assigneeId: null,
    createdBy: owner,
    updatedBy: owner,
    status: 'todo',
    priority: 'medium',
    dueDate: at,
    completedAt: null,
    recurrence: { rule, timezone: 'Europe/Berlin', dueMode: 'on_due' },
    deletedAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

/** A series task `id` and its schedule, armed for its due date (as the task trigger leaves it). */
function armed(
  db: Firestore,
  id: string,
  task: Record<string, unknown>,
): [DocumentReference, Record<string, unknown>][] {
  return [
    [db.doc(`${TASKS}/${id}`), task],
    [db.doc(`${TASK_SCHEDULES}/${id}`), { recurrenceNextAt: task.dueDate }],
  ];
}

async function clear(db: Firestore): Promise<void> {
  for (const collection of [TASKS, TASK_SCHEDULES])
    for (;;) {
      const page = await db.collection(collection).limit(400).get();
      if (page.empty) break;
      const batch = db.batch();
      for (const d of page.docs) batch.delete(d.ref);
      await batch.commit();
    }
}

interface Tick {
  tick: number;
  ms: number;
  reads: number;
  writes: number;
  report: DueOccurrencesReport;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (recurrenceRuleProblem(WORST_RULE) !== null) throw new Error('the worst rule is refused');
  const server = await startCountingFirestore({ inPlaceStorage: true });
  process.env.FIRESTORE_EMULATOR_HOST = server.host;
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const app = initializeApp({ projectId: 'demo-bench-abuse' }, 'bench-abuse');
  const db = getFirestore(app);
  const clock = new FixedClock(NOW);

  // (a) the flood.
  const writer = batchedWriter(db);
  for (let i = 0; i < options.flood; i++) {
    await writer.set(
      armed(db, `flood-${String(i)}`, series('mallory', '1970-01-01T09:00:00Z', WORST_RULE)),
    );
  }
  for (let i = 0; i < options.others; i++) {
    await writer.set(
      armed(db, `user-${String(i)}`, series(`user-${String(i)}`, '2026-03-23T09:00:00Z')),
    );
  }
  await writer.close();
  const ticks: Tick[] = [];
  for (let tick = 1; tick <= 4; tick++) {
    server.reset();
    const started = performance.now();
    const report = await spawnDueOccurrences(db, clock, { limit: 500, perOwnerLimit: 25 });
    const ms = performance.now() - started;
    const counts = server.reset();
    ticks.push({
      tick,
      ms,
      reads: documentsRead(counts),
      writes: documentsWritten(counts),
      report,
    });
    clock.advance(15 * 60_000);
  }
  const othersServed = (
    await Promise.all(
      Array.from({ length: options.others }, (_, i) =>
        db.doc(`${TASK_SCHEDULES}/user-${String(i)}`).get(),
      ),
    )
  ).filter((d) => typeof d.get('recurrenceNextId') === 'string').length;
  const spawnedForMallory =
    (await db.collection(TASKS).where('createdBy', '==', 'mallory').count().get()).data().count -
    options.flood;

  // (b) the poisoned task among healthy ones.
  await clear(db);
  clock.set(NOW);
  const seed = batchedWriter(db);
  await seed.set(
    armed(db, 'poison', { ...series('mallory', '0001-01-01T00:00:00Z'), seriesId: 'a/b' }),
  );
  for (let i = 0; i < options.healthy; i++) {
    await seed.set(
      armed(db, `h-${String(i)}`, series(`u${String(i % 1000)}`, '2026-03-23T09:00:00Z')),
    );
  }
  await seed.close();
  server.reset();
  const started = performance.now();
  const poisoned = await spawnDueOccurrences(db, clock, {
    limit: options.healthy + 1,
    perOwnerLimit: options.healthy,
    maxReads: options.healthy + 1,
  });
  const poisonMs = performance.now() - started;
  const poisonCounts = server.reset();

  const out = {
    flood: {
      floodSeries: options.flood,
      otherUsers: options.others,
      rule: WORST_RULE,
      ticks: ticks.map((t) => ({
        tick: t.tick,
        ms: Math.round(t.ms),
        reads: t.reads,
        writes: t.writes,
        spawned: t.report.spawned,
        deferred: t.report.deferred,
        due: t.report.due,
      })),
      otherUsersServed: othersServed,
      tasksSpawnedForFlooder: spawnedForMallory,
    },
    poison: {
      healthy: options.healthy,
      ms: Math.round(poisonMs),
      spawned: poisoned.spawned,
      failures: poisoned.failures,
      reads: documentsRead(poisonCounts),
      writes: documentsWritten(poisonCounts),
    },
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  await deleteApp(app);
  server.stop();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
