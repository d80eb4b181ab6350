import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';

/**
 * The last run of each scheduled job, for `GET /api/health`: a job whose last
 * successful run is older than twice its period is degraded — Cloud Scheduler stopped calling it,
 * or every run fails. One small document per job, `jobHealth/{jobName}`, written by the job at the
 * end of each run (server-owned: firestore.rules denies every client).
 */

export const JOB_HEALTH = 'jobHealth';
/** Where the scheduling sweeps record their runs (`domain/scheduling/sweep-status.ts`). */
const SWEEPS = 'sweeps';

export interface JobHealthDoc {
  lastRunAt: Timestamp;
  /** Absent until the first successful run. */
  lastSuccessAt?: Timestamp;
  lastStatus: 'ok' | 'failed';
  /** How often the job is meant to run. */
  periodSeconds: number;
}

/**
 * Records one run of `name` (every `periodSeconds`). `ok`: the run did its work (a run that
 * failed, or finished with failures, leaves `lastSuccessAt` where it was). One write.
 */
export async function recordJobRun(
  db: Firestore,
  clock: Clock,
  name: string,
  periodSeconds: number,
  ok: boolean,
): Promise<void> {
  const now = Timestamp.fromDate(clock.now());
  await db
    .collection(JOB_HEALTH)
    .doc(name)
    .set(
      {
        lastRunAt: now,
        lastStatus: ok ? 'ok' : 'failed',
        periodSeconds,
        ...(ok ? { lastSuccessAt: now } : {}),
      },
      { merge: true },
    );
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

/**
 * Every scheduled job's last run (one small document each, at most `limit` per collection): the
 * notification sweeps record in `jobHealth/{name}`, the scheduling sweeps in `sweeps/{name}`
 * (`domain/scheduling/sweep-status.ts`, period in ms) — read both, in one shape.
 */
export async function readJobRecords(
  db: Firestore,
  limit = 50,
): Promise<Record<string, Partial<JobHealthDoc>>> {
  const [jobs, sweeps] = await Promise.all([
    db.collection(JOB_HEALTH).limit(limit).get(),
    db.collection(SWEEPS).limit(limit).get(),
  ]);
  const records: Record<string, Partial<JobHealthDoc>> = {};
  for (const d of sweeps.docs) {
    const periodMs = d.get('periodMs') as unknown;
    const lastSuccessAt = d.get('lastSuccessAt') as Timestamp | null | undefined;
    records[d.id] = {
      ...(typeof periodMs === 'number' ? { periodSeconds: Math.round(periodMs / 1000) } : {}),
      ...(lastSuccessAt ? { lastSuccessAt } : {}),
    };
  }
  for (const d of jobs.docs) records[d.id] = d.data();
  return records;
}
