import { createHash } from 'node:crypto';
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { sweepErrorDocs } from '../../storage/refs';

/**
 * Per-item isolation of the sweeps: a document a sweep cannot process is skipped and recorded
 * here, `sweepErrors/{id}` (one per sweep and document), never stalling the rest of the run. After
 * {@link QUARANTINE_AFTER} failed attempts the sweep takes it out of its queue (quarantined: the
 * record says so) so that a poisoned document due in year 1 does not sort first forever. The
 * health check reports how many are recorded (server-owned: firestore.rules denies clients).
 */

/** Failed attempts after which a sweep stops retrying a document. */
export const QUARANTINE_AFTER = 3;

export interface SweepErrorDoc {
  sweep: string;
  /** The document's path, e.g. `tasks/abc`. */
  path: string;
  error: string;
  attempts: number;
  quarantined: boolean;
  firstAt: Timestamp;
  lastAt: Timestamp;
}

function errorId(sweep: string, path: string): string {
  return createHash('sha256').update(`${sweep}|${path}`).digest('hex').slice(0, 40);
}

export const errorMessage = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).slice(0, 500);

/**
 * Records one failed attempt of `sweep` on the document at `path`; says whether the sweep should
 * now quarantine it. One transaction (two concurrent runs count two attempts).
 */
export async function recordSweepError(
  db: Firestore,
  clock: Clock,
  sweep: string,
  path: string,
  error: unknown,
): Promise<{ attempts: number; quarantine: boolean }> {
  const ref = sweepErrorDocs(db).doc(errorId(sweep, path));
  const now = Timestamp.fromDate(clock.now());
  return db.runTransaction(async (tx) => {
    const snap = await tx.get(ref);
    const previous = snap.data();
    const attempts = (previous?.attempts ?? 0) + 1;
    const quarantine = attempts >= QUARANTINE_AFTER;
    const doc: SweepErrorDoc = {
      sweep,
      path,
      error: errorMessage(error),
      attempts,
      quarantined: quarantine,
      firstAt: previous?.firstAt ?? now,
      lastAt: now,
    };
    tx.set(ref, doc);
    return { attempts, quarantine };
  });
}

export interface SweepErrorSummary {
  /** Documents recorded as failing (quarantined or still retried). */
  count: number;
  /** The most recent few. */
  latest: { sweep: string; path: string; error: string; attempts: number; quarantined: boolean }[];
}

/** For the health check: how many documents the sweeps could not process, and the latest. */
export async function readSweepErrors(db: Firestore, latest = 5): Promise<SweepErrorSummary> {
  const col = sweepErrorDocs(db);
  const [count, recent] = await Promise.all([
    col.count().get(),
    col.orderBy('lastAt', 'desc').limit(latest).get(),
  ]);
  return {
    count: count.data().count,
    latest: recent.docs.map((d) => {
      const e = d.data();
      return {
        sweep: e.sweep,
        path: e.path,
        error: e.error,
        attempts: e.attempts,
        quarantined: e.quarantined,
      };
    }),
  };
}

/**
 * Runs one effect of an event handler that is retried on failure (a Firestore trigger). A failure
 * is recorded and rethrown — the event is retried — until this event has failed
 * {@link QUARANTINE_AFTER} times; then the effect is given up (recorded as quarantined) and the
 * event succeeds, so one document that can never be processed does not fail its trigger for the
 * whole retry window. `scope` names the effect, `key` the document and event.
 */
export async function withQuarantine(
  db: Firestore,
  clock: Clock,
  scope: string,
  key: string,
  work: () => Promise<unknown>,
): Promise<void> {
  try {
    await work();
  } catch (e) {
    const { quarantine } = await recordSweepError(db, clock, scope, key, e);
    if (!quarantine) throw e;
  }
}
