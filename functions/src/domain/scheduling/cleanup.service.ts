import { performance } from 'node:perf_hooks';
import {
  FieldPath,
  Timestamp,
  type DocumentReference,
  type Firestore,
  type Query,
} from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Logger } from '../../core/logger';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { tokenKey } from '../users/devices.service';
import { RUN_RETENTION_DAYS } from './job.schema';
import { deviceConverter } from '../../storage/refs';
import {
  USERS,
  DEVICES,
  DEVICE_TOKENS,
  NOTIFICATIONS,
  DELIVERIES,
  CLAIMS,
  SCHEDULED_JOBS,
  RUNS,
  SENDS,
} from '../../storage/collections';

/**
 * The daily cleanup: old read inbox items, devices not seen for N days,
 * finished delivery records, job-run history past retention.
 *
 * Firestore TTL policies (`expireAt`, declared in firestore.indexes.json) do most of this where a
 * writer can set the expiry up front (delivery records, job runs and send claims, rate-limit
 * windows); this sweep is the backstop for them and the only mechanism for what depends on later
 * state (an item becoming read, a device going quiet). Rate-limit windows are TTL only: their
 * `expireAt` is exempt from indexing (a timestamp written on every request would be an index
 * hotspot), so no query can find them — nor needs to, as they are never read after their window. Each target is swept oldest first, in batches of at
 * most `batchSize` deletes, at most `maxBatches` batches per run: a run that stops halfway (crash,
 * timeout) leaves every document either deleted or untouched — a device and its token index
 * entry go in the same batch — and the next run continues from what is still there.
 */

export const CLEANUP_TARGETS = ['inbox', 'devices', 'deliveries', 'jobRuns'] as const;
export type CleanupTarget = (typeof CLEANUP_TARGETS)[number];

export interface CleanupSettings {
  /** Read inbox items created more than this many days ago are deleted. */
  inboxReadRetentionDays: number;
  /** Devices whose `lastSeenAt` is older than this many days are removed (with their token index). */
  staleDeviceDays: number;
  /** Delivery records finished (sent, failed, skipped) more than this many days ago are deleted. */
  deliveryRetentionDays: number;
  /** Job runs (and topic-send claims) started more than this many days ago are deleted. */
  jobRunRetentionDays: number;
  /** Deletes per batched write (≤ 500, Firestore's limit). */
  batchSize: number;
  /** Batches per target per run; what is left waits for the next run. */
  maxBatches: number;
}

export const DEFAULT_CLEANUP_SETTINGS: CleanupSettings = {
  inboxReadRetentionDays: 30,
  staleDeviceDays: 60,
  deliveryRetentionDays: 30,
  jobRunRetentionDays: RUN_RETENTION_DAYS,
  batchSize: 500,
  maxBatches: 20,
};

/**
 * Read inbox items past retention, across every user's inbox: a collection-group query, served by
 * a COLLECTION_GROUP index. (The embedded test server answers collection-group queries with
 * nothing; this target is proven against the official emulator — see docs/testing.md.)
 */
export const OLD_READ_INBOX_QUERY: QueryShape = {
  collection: NOTIFICATIONS,
  scope: 'collectionGroup',
  equals: ['read'],
  range: 'createdAt',
  orderBy: [['createdAt', 'asc']],
};
/**
 * Devices not seen lately, found through the top-level token index `deviceTokens` (its
 * `updatedAt` is set with the device's `lastSeenAt` at every registration) rather than a
 * collection-group query over `users/{uid}/devices`.
 */
export const STALE_DEVICE_TOKENS_QUERY: QueryShape = {
  collection: DEVICE_TOKENS,
  equals: [],
  range: 'updatedAt',
  orderBy: [['updatedAt', 'asc']],
};
/** Finished deliveries (`status in [sent, failed, skipped]`) by `finishedAt`. */
export const FINISHED_DELIVERIES_QUERY: QueryShape = {
  collection: DELIVERIES,
  equals: ['status'],
  range: 'finishedAt',
  orderBy: [['finishedAt', 'asc']],
};
/** A delivery record's attempt claims, deleted with it. */
export const DELIVERY_CLAIMS_QUERY: QueryShape = { collection: CLAIMS, equals: [], orderBy: [] };
/** Every job, by id (admin-defined, few): the runs live under each. */
export const JOBS_BY_ID_QUERY: QueryShape = { collection: SCHEDULED_JOBS, equals: [], orderBy: [] };
export const OLD_RUNS_QUERY: QueryShape = {
  collection: RUNS,
  equals: [],
  range: 'startedAt',
  orderBy: [['startedAt', 'asc']],
};
export const OLD_SENDS_QUERY: QueryShape = {
  collection: SENDS,
  equals: [],
  range: 'createdAt',
  orderBy: [['createdAt', 'asc']],
};

const FINISHED_STATUSES = ['sent', 'failed', 'skipped'];
const MAX_CLAIMS_PER_DELIVERY = 50;
const JOBS_PAGE = 100;
const DAY_MS = 86_400_000;

export interface CleanupReport {
  deleted: Record<CleanupTarget, number>;
  /** False when the target still had work when its batch budget ran out. */
  complete: Record<CleanupTarget, boolean>;
  documentsRead: number;
  durationMs: number;
  failures: { target: CleanupTarget; error: string }[];
}

interface Sweep {
  db: Firestore;
  settings: CleanupSettings;
  now: number;
  reads: number;
}

/** Deletes `refs` in batched writes of at most `size` (a batch allows 500 writes). */
async function deleteAll(db: Firestore, refs: readonly DocumentReference[], size: number) {
  for (let i = 0; i < refs.length; i += size) {
    const batch = db.batch();
    for (const ref of refs.slice(i, i + size)) batch.delete(ref);
    await batch.commit();
  }
}

/**
 * Repeats: take the oldest `batchSize` matches, delete them (and what `extra` adds for each),
 * until none are left or the batch budget is spent. Returns deleted matches and completeness.
 */
async function sweepQuery(
  s: Sweep,
  query: () => Query,
  budget: { batches: number },
  extra?: (refs: DocumentReference[]) => Promise<DocumentReference[]>,
): Promise<{ deleted: number; complete: boolean }> {
  let deleted = 0;
  while (budget.batches > 0) {
    budget.batches--;
    const snap = await query().limit(s.settings.batchSize).get();
    s.reads += Math.max(1, snap.size);
    if (snap.empty) return { deleted, complete: true };
    const refs = snap.docs.map((d) => d.ref);
    const more = extra === undefined ? [] : await extra(refs);
    // Dependents first: a batch that fails leaves the main documents to find next time.
    await deleteAll(s.db, [...more, ...refs], 500);
    deleted += refs.length;
    if (snap.size < s.settings.batchSize) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}

const cutoff = (s: Sweep, days: number) => Timestamp.fromMillis(s.now - days * DAY_MS);

async function sweepInbox(s: Sweep): Promise<{ deleted: number; complete: boolean }> {
  const before = cutoff(s, s.settings.inboxReadRetentionDays);
  return sweepQuery(
    s,
    () =>
      applyShape(s.db.collectionGroup(NOTIFICATIONS), OLD_READ_INBOX_QUERY, {
        equals: { read: true },
        range: { to: before },
      }),
    { batches: s.settings.maxBatches },
  );
}

/**
 * Stale devices by their token index entry: the device document is read to confirm (the app may
 * refresh `lastSeenAt` on the device itself through the SDK); a confirmed stale device goes with
 * its index entry in one batch, an entry whose device is gone or holds another token goes alone,
 * and an entry whose device was seen recently is brought up to date instead.
 */
async function sweepDevices(s: Sweep): Promise<{ deleted: number; complete: boolean }> {
  const before = cutoff(s, s.settings.staleDeviceDays);
  const size = Math.max(1, Math.floor(s.settings.batchSize / 2));
  let deleted = 0;
  for (let i = 0; i < s.settings.maxBatches; i++) {
    const snap = await applyShape(s.db.collection(DEVICE_TOKENS), STALE_DEVICE_TOKENS_QUERY, {
      equals: {},
      range: { to: before },
    })
      .limit(size)
      .get();
    s.reads += Math.max(1, snap.size);
    if (snap.empty) return { deleted, complete: true };
    const owners = snap.docs.map((d) => ({
      index: d,
      device: s.db
        .collection(USERS)
        .doc(String(d.get('uid')))
        .collection(DEVICES)
        .doc(String(d.get('deviceId'))),
    }));
    const devices = await s.db.getAll(...owners.map((o) => o.device));
    s.reads += devices.length;
    const batch = s.db.batch();
    owners.forEach(({ index, device }, n) => {
      const snapshot = devices[n];
      const stored = snapshot === undefined ? undefined : deviceConverter.read(snapshot);
      const lastSeen = stored?.lastSeenAt;
      if (stored === undefined || tokenKey(stored.token) !== index.id) {
        batch.delete(index.ref);
      } else if (lastSeen === undefined || lastSeen.toMillis() < before.toMillis()) {
        batch.delete(device);
        batch.delete(index.ref);
        deleted++;
      } else {
        batch.update(index.ref, { updatedAt: lastSeen });
      }
    });
    await batch.commit();
    if (snap.size < size) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}

async function sweepDeliveries(s: Sweep): Promise<{ deleted: number; complete: boolean }> {
  const before = cutoff(s, s.settings.deliveryRetentionDays);
  return sweepQuery(
    s,
    () =>
      applyShape(s.db.collection(DELIVERIES), FINISHED_DELIVERIES_QUERY, {
        equals: {},
        oneOf: { status: FINISHED_STATUSES },
        range: { to: before },
      }),
    { batches: s.settings.maxBatches },
    async (records) => {
      const claims = await Promise.all(
        records.map((r) =>
          applyShape(r.collection(CLAIMS), DELIVERY_CLAIMS_QUERY, { equals: {} })
            .limit(MAX_CLAIMS_PER_DELIVERY)
            .get(),
        ),
      );
      s.reads += claims.reduce((n, c) => n + Math.max(1, c.size), 0);
      return claims.flatMap((c) => c.docs.map((d) => d.ref));
    },
  );
}

/** Runs and send claims past retention, job by job (the jobs are paged by id). */
async function sweepJobRuns(s: Sweep): Promise<{ deleted: number; complete: boolean }> {
  const before = cutoff(s, s.settings.jobRunRetentionDays);
  const budget = { batches: s.settings.maxBatches };
  let deleted = 0;
  let last: string | undefined;
  for (;;) {
    let q = applyShape(s.db.collection(SCHEDULED_JOBS), JOBS_BY_ID_QUERY, { equals: {} }).orderBy(
      FieldPath.documentId(),
    );
    if (last !== undefined) q = q.startAfter(last);
    const jobs = await q.limit(JOBS_PAGE).get();
    s.reads += Math.max(1, jobs.size);
    for (const job of jobs.docs) {
      for (const [shape, field] of [
        [OLD_RUNS_QUERY, 'startedAt'],
        [OLD_SENDS_QUERY, 'createdAt'],
      ] as const) {
        const r = await sweepQuery(
          s,
          () =>
            applyShape(job.ref.collection(shape.collection), shape, {
              equals: {},
              range: { to: before },
            }),
          budget,
        );
        if (field === 'startedAt') deleted += r.deleted;
        if (!r.complete) return { deleted, complete: false };
      }
    }
    if (jobs.size < JOBS_PAGE) return { deleted, complete: true };
    last = jobs.docs[jobs.docs.length - 1]?.id;
  }
}

/** Refuses settings that would delete too much (an unset param reads as 0 days). */
export function checkCleanupSettings(settings: CleanupSettings): void {
  for (const key of [
    'inboxReadRetentionDays',
    'staleDeviceDays',
    'deliveryRetentionDays',
    'jobRunRetentionDays',
  ] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) {
      throw new Error(`cleanup: ${key} must be a whole number of days ≥ 1, got ${settings[key]}`);
    }
  }
  if (settings.batchSize < 1 || settings.batchSize > 500) {
    throw new Error(`cleanup: batchSize must be 1–500, got ${settings.batchSize}`);
  }
}

/**
 * Runs every cleanup target once and logs one summary line (duration, documents read, items
 * deleted, failures, per-target counts). A target that fails is logged and does not stop the
 * others; the caller decides whether failures fail the run.
 */
export async function runCleanup(
  deps: { db: Firestore; clock: Clock; logger: Logger },
  settings: CleanupSettings = DEFAULT_CLEANUP_SETTINGS,
): Promise<CleanupReport> {
  checkCleanupSettings(settings);
  const started = performance.now();
  const s: Sweep = { db: deps.db, settings, now: deps.clock.now().getTime(), reads: 0 };
  const sweeps: Record<
    CleanupTarget,
    (s: Sweep) => Promise<{ deleted: number; complete: boolean }>
  > = {
    inbox: sweepInbox,
    devices: sweepDevices,
    deliveries: sweepDeliveries,
    jobRuns: sweepJobRuns,
  };
  const report: CleanupReport = {
    deleted: { inbox: 0, devices: 0, deliveries: 0, jobRuns: 0 },
    complete: {
      inbox: false,
      devices: false,
      deliveries: false,
      jobRuns: false,
    },
    documentsRead: 0,
    durationMs: 0,
    failures: [],
  };
  for (const target of CLEANUP_TARGETS) {
    try {
      const r = await sweeps[target](s);
      report.deleted[target] = r.deleted;
      report.complete[target] = r.complete;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      report.failures.push({ target, error });
      deps.logger.error('Cleanup target failed', { job: 'dailyCleanup', target, error });
    }
  }
  report.documentsRead = s.reads;
  report.durationMs = Math.round(performance.now() - started);
  deps.logger.info('Cleanup finished', {
    job: 'dailyCleanup',
    durationMs: report.durationMs,
    documentsRead: report.documentsRead,
    itemsActedOn: Object.values(report.deleted).reduce((a, b) => a + b, 0),
    failures: report.failures.length,
    deleted: report.deleted,
    complete: report.complete,
  });
  return report;
}
