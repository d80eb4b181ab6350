import { createHash } from 'node:crypto';
import { Timestamp, type Firestore, type QueryDocumentSnapshot } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { errorMessage, recordSweepError } from '../scheduling/sweep-errors.service';
import { type DigestJob, type DigestScheduleDoc } from './digest.schema';
import { digestKey, nextOccurrence, type DigestPeriod } from './digest-time';
import { localDateOf, safeZone } from '../../core/time-zone';
import { DIGEST_SCHEDULE } from '../../storage/collections';
import { digestScheduleDocs } from '../../storage/refs';

/**
 * The digest sweep (every 15 minutes): one indexed range query for the schedule documents that
 * are due (`nextAt <= now`), one Cloud Tasks job per due digest, and each schedule moved to its
 * next occurrence. It reads only what is due — about one document per digest — and does no
 * per-user work itself: building and sending run in the task queue (`sendDigest`), which scales
 * out and retries on its own.
 *
 * Overlapping or repeated runs are harmless: a job's id is derived from the digest's idempotency
 * key (Cloud Tasks refuses a recently used id), the job itself claims the digest with `create()`,
 * and advancing a schedule is deterministic.
 */

/** The port to the task queue of `sendDigest`. */
export interface DigestQueue {
  /**
   * Enqueues one digest job. `id` de-duplicates: `duplicate` when a task with that id was enqueued
   * recently (Cloud Tasks ALREADY_EXISTS). Throws when the job may not have been enqueued.
   */
  enqueue(job: DigestJob, options: { id: string }): Promise<'enqueued' | 'duplicate'>;
}

/** Due schedule documents, earliest first: `where nextAt <= now orderBy nextAt` (single field). */
export const DUE_DIGESTS_QUERY: QueryShape = {
  collection: DIGEST_SCHEDULE,
  equals: [],
  range: 'nextAt',
  orderBy: [['nextAt', 'asc']],
};

/** The idempotency key of one digest, shared by the job id, the marker and the engine's intent. */
export function digestIntentKey(job: DigestJob): string {
  return `digest:${job.period}:${job.uid}:${digestKey(job.period, job.localDate)}`;
}

/**
 * The Cloud Tasks id of a digest job: a hash of its idempotency key (Cloud Tasks wants ids
 * spread evenly, not sharing a prefix; letters, digits, `-` and `_` only).
 */
export function digestTaskId(job: DigestJob): string {
  return createHash('sha256').update(digestIntentKey(job)).digest('hex').slice(0, 40);
}

export interface DigestSweepOptions {
  /** Schedule documents per query (default 200). */
  pageSize?: number;
  /** Queries per run at most (default 100: 20,000 digests per 15-minute tick). */
  maxPages?: number;
  /** Jobs enqueued at once (default 32; each is one Cloud Tasks request). */
  concurrency?: number;
}

export interface DigestSweepReport {
  /** Due schedule documents read. */
  due: number;
  enqueued: number;
  /** Jobs Cloud Tasks already had (an overlapping or repeated run). */
  alreadyQueued: number;
  /** Digests whose local date had passed when swept (an outage): skipped, not sent late. */
  missed: number;
  /** Enqueue failures: the schedule is left due, so the next run tries again. */
  failed: number;
  /** Schedules changed or deleted by another writer meanwhile: left as they are. */
  contended: number;
  pages: number;
  /** Firestore reads (an empty query counts one, as Firestore bills it). */
  documentsRead: number;
}

/**
 * gRPC codes of an advance that lost to another writer: NOT_FOUND (the job already ran and found
 * the account gone, deleting its schedule) and FAILED_PRECONDITION (`lastUpdateTime` moved: a
 * preference change rescheduled it).
 */
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

/** Enqueues the due digests and advances their schedules (see the module comment). */
export async function enqueueDueDigests(
  deps: { db: Firestore; clock: Clock; logger: Logger },
  queue: DigestQueue,
  options: DigestSweepOptions = {},
): Promise<DigestSweepReport> {
  const pageSize = options.pageSize ?? 200;
  const maxPages = options.maxPages ?? 100;
  const concurrency = options.concurrency ?? 32;
  const now = deps.clock.now();
  const report: DigestSweepReport = {
    due: 0,
    enqueued: 0,
    alreadyQueued: 0,
    missed: 0,
    failed: 0,
    contended: 0,
    pages: 0,
    documentsRead: 0,
  };
  // Pages follow a cursor: a document that failed (left in the range) is not met again in this
  // run, and one that keeps failing is recorded and, after a few runs, taken out of the range
  // (quarantined) — a poisoned schedule never stalls everyone else's summaries.
  let cursor: QueryDocumentSnapshot<DigestScheduleDoc> | undefined;
  while (report.pages < maxPages) {
    let query = applyShape(digestScheduleDocs(deps.db), DUE_DIGESTS_QUERY, {
      equals: {},
      range: { to: Timestamp.fromMillis(now.getTime() + 1) },
    }).limit(pageSize);
    if (cursor !== undefined) query = query.startAfter(cursor);
    const page = await query.get();
    report.pages++;
    report.documentsRead += Math.max(1, page.size);
    report.due += page.size;
    const docs = [...page.docs];
    await Promise.all(
      Array.from({ length: Math.min(concurrency, docs.length) }, async () => {
        for (let snap = docs.shift(); snap !== undefined; snap = docs.shift()) {
          try {
            await sweepOne(deps, queue, snap, now, report);
          } catch (e) {
            report.failed++;
            const { quarantine } = await recordSweepError(
              deps.db,
              deps.clock,
              'enqueueDueDigests',
              snap.ref.path,
              e,
            );
            deps.logger.error('Digest schedule could not be handled; skipped', {
              path: snap.ref.path,
              quarantined: quarantine,
              error: errorMessage(e),
            });
            if (quarantine) await snap.ref.update({ nextAt: null });
          }
        }
      }),
    );
    cursor = page.docs[page.docs.length - 1];
    if (page.size < pageSize || cursor === undefined) break;
  }
  return report;
}

async function sweepOne(
  deps: { db: Firestore; logger: Logger },
  queue: DigestQueue,
  snap: QueryDocumentSnapshot<DigestScheduleDoc>,
  now: Date,
  report: DigestSweepReport,
): Promise<void> {
  const s = snap.data();
  if (s.localDate === null || s.nextAt === null) return;
  const period: DigestPeriod = s.period;
  const timing = { timezone: safeZone(s.timezone), hour: s.hour, weekday: s.weekday };
  const job: DigestJob = { uid: s.uid, period, localDate: s.localDate };
  // A digest goes out on its own local date or not at all: after an outage a user gets today's,
  // not a stale one followed by today's.
  const missed = localDateOf(now, timing.timezone) !== s.localDate;
  if (missed) {
    report.missed++;
    deps.logger.warn('Digest missed its local date; skipped', {
      userId: s.uid,
      period,
      localDate: s.localDate,
      dueAt: s.nextAt.toDate().toISOString(),
    });
  } else {
    try {
      const outcome = await queue.enqueue(job, { id: digestTaskId(job) });
      if (outcome === 'enqueued') report.enqueued++;
      else report.alreadyQueued++;
    } catch (e) {
      deps.logger.error('Digest job not enqueued; retried next run', {
        userId: s.uid,
        period,
        localDate: s.localDate,
        error: e instanceof Error ? e.message : String(e),
      });
      throw e;
    }
  }
  const next = nextOccurrence(period, timing, now, s.localDate);
  try {
    // Only if nobody rescheduled it since it was read (a preference change wins).
    await snap.ref.update(
      {
        nextAt: Timestamp.fromDate(next.at),
        localDate: next.localDate,
        lastLocalDate: missed ? s.lastLocalDate : s.localDate,
        updatedAt: Timestamp.fromDate(now),
      },
      { lastUpdateTime: snap.updateTime },
    );
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== FAILED_PRECONDITION && code !== NOT_FOUND) throw e;
    report.contended++;
  }
}
