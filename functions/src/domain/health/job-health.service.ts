import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { JOB_HEALTH } from '../../storage/collections';
import { jobHealthDocs } from '../../storage/refs';

/**
 * The last run of each scheduled function, for `GET /api/health`: a job whose last successful run
 * is older than twice its period is degraded — Cloud Scheduler stopped calling it, or every run
 * fails. One small document per job, `jobHealth/{name}`, written by the job at the end of each run
 * (server-owned: firestore.rules denies every client). A job's name is its deployed function's
 * name, the same in this record, its log lines and the health output.
 */

export { JOB_HEALTH };

/** The scheduled functions that record their runs here: the names the health check reports. */
export const SCHEDULED_JOB_NAMES = [
  'checkOverdueTasks',
  'dailyCleanup',
  'dispatchScheduledJobs',
  'quarterHourlyDigests',
  'releaseDeliveries',
  'sendDueReminders',
  'spawnRecurringTasks',
] as const;
export type ScheduledJobName = (typeof SCHEDULED_JOB_NAMES)[number];

export interface JobHealthDoc {
  /** How often the job is meant to run. */
  periodSeconds: number;
  lastRunAt: Timestamp;
  lastStatus: 'ok' | 'failed';
  /** Absent until the first successful run. */
  lastSuccessAt?: Timestamp;
  /** The error of the latest failed run (kept after later successes; `lastStatus` says which). */
  lastError?: string;
  /** The latest run's summary counts (documents read, items acted on, failures…), when it gave one. */
  lastSummary?: Record<string, unknown>;
}

export interface JobRun {
  periodSeconds: number;
  /** The run did its work (a run that failed, or finished with failures, is not ok). */
  ok: boolean;
  error?: string | undefined;
  summary?: Record<string, unknown> | undefined;
}

/**
 * Records one run of the scheduled function `name`; a failed run leaves `lastSuccessAt` where it
 * was. One write.
 */
export async function recordJobRun(
  db: Firestore,
  clock: Clock,
  name: ScheduledJobName,
  run: JobRun,
): Promise<void> {
  const now = Timestamp.fromDate(clock.now());
  const doc: Partial<JobHealthDoc> = {
    periodSeconds: run.periodSeconds,
    lastRunAt: now,
    lastStatus: run.ok ? 'ok' : 'failed',
    ...(run.ok ? { lastSuccessAt: now } : { lastError: run.error ?? 'failed' }),
    ...(run.summary === undefined ? {} : { lastSummary: run.summary }),
  };
  await db.collection(JOB_HEALTH).doc(name).set(doc, { merge: true });
}

export interface JobHealthStatus {
  degraded: boolean;
  /** Seconds since the last successful run; null when it never succeeded. */
  lastSuccessAgeSeconds: number | null;
}

/**
 * Whether a job is degraded at `now`: its last successful run is older than twice its period, or
 * it has a record but never succeeded. A job with no record at all (never ran since deploy) is
 * for the caller to judge: `undefined` in, `degraded: true` out.
 */
export function jobHealthStatus(
  doc: Partial<JobHealthDoc> | undefined,
  now: Date,
): JobHealthStatus {
  const last = doc?.lastSuccessAt;
  if (last === undefined) return { degraded: true, lastSuccessAgeSeconds: null };
  const age = Math.max(0, Math.round((now.getTime() - last.toMillis()) / 1000));
  const period = doc?.periodSeconds ?? 0;
  return { degraded: period > 0 && age > 2 * period, lastSuccessAgeSeconds: age };
}

const KNOWN: ReadonlySet<string> = new Set(SCHEDULED_JOB_NAMES);

/**
 * Every scheduled job's last run (`jobHealth/{name}`, one small document each). Records under
 * any other name — left by an earlier version that named jobs differently — are not reported.
 */
export async function readJobRecords(
  db: Firestore,
): Promise<Record<string, Partial<JobHealthDoc>>> {
  const snap = await jobHealthDocs(db)
    .limit(2 * SCHEDULED_JOB_NAMES.length)
    .get();
  return Object.fromEntries(snap.docs.filter((d) => KNOWN.has(d.id)).map((d) => [d.id, d.data()]));
}
