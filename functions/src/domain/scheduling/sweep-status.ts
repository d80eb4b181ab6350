import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';

/**
 * `sweeps/{name}`: the last run of each built-in scheduled function (dispatcher, cleanup,
 * recurring-task sweep…), so the health check can tell a sweep that stopped running — its last
 * success older than twice its period — without reading logs. User-defined jobs keep the same
 * facts on their own document (`scheduledJobs/{id}.lastSuccessAt`).
 */
export const SWEEPS = 'sweeps';

export interface SweepStatusDoc {
  /** How often the sweep is scheduled to run. */
  periodMs: number;
  lastRunAt: Timestamp;
  lastStatus: 'success' | 'failed';
  lastSuccessAt: Timestamp | null;
  lastError: string | null;
  /** The run's summary counts (documents read, items acted on, failures…). */
  lastSummary: Record<string, unknown>;
}

/** Records one run of sweep `name`; a failure keeps the previous `lastSuccessAt`. */
export async function recordSweepRun(
  db: Firestore,
  clock: Clock,
  name: string,
  run: { periodMs: number; ok: boolean; error?: string; summary: Record<string, unknown> },
): Promise<void> {
  const now = Timestamp.fromDate(clock.now());
  await db
    .collection(SWEEPS)
    .doc(name)
    .set(
      {
        periodMs: run.periodMs,
        lastRunAt: now,
        lastStatus: run.ok ? 'success' : 'failed',
        lastError: run.ok ? null : (run.error ?? 'failed'),
        lastSummary: run.summary,
        ...(run.ok ? { lastSuccessAt: now } : {}),
      },
      { merge: true },
    );
}
