import {
  FieldPath,
  FieldValue,
  Timestamp,
  type DocumentSnapshot,
  type Firestore,
} from 'firebase-admin/firestore';
import { z } from 'zod';
import { AppError } from '../../core/errors';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { isAlreadyExists } from '../../storage/already-exists';
import { USERS } from '../../storage/collections';
import {
  BROADCAST_JOB_RETENTION_DAYS,
  BROADCAST_SHARD_CONCURRENCY,
  BROADCAST_SHARD_SIZE,
  broadcastBatchId,
  broadcastJobId,
  jobProgress,
  nextShard,
  shardTaskId,
  tallyShard,
  type BroadcastAudience,
  type BroadcastShard,
  type JobProgress,
  type RecipientOutcome,
  type ShardTally,
} from './broadcast-plan';
import type { NotificationIntent } from './channels';
import { deliverNotification, recipientFrom, type NotifierDeps } from './delivery.service';

/**
 * Admin announcements as jobs. A send is a job document `broadcastJobs/{jobId}` (content, audience,
 * counters); its recipients are cut into shards of {@link BROADCAST_SHARD_SIZE} (see
 * broadcast-plan.ts). Listed users (one shard at most) are sent in the request's own process; a
 * whole audience goes shard by shard through a queue (Cloud Tasks in production), each shard
 * reading its page of users with one bounded, indexed query after the previous page's last id.
 *
 * Exactly-once at every level: the job is created once per (idempotency key, audience); each
 * recipient's delivery is the engine's (`bulk:<key>:<uid>` intent: inbox item and delivery record
 * created with deterministic ids); each shard records `broadcastJobs/{jobId}/shards/{index}` with
 * `create()` in the same atomic commit that adds its counts to the job, so a redelivered shard
 * sends nothing again and counts nothing twice.
 */

export const BROADCAST_JOBS = 'broadcastJobs';
export const BROADCAST_SHARDS = 'shards';

/** A page of the audience: every user, by document id (the automatic index on `__name__`). */
export const BROADCAST_AUDIENCE_QUERY: QueryShape = { collection: USERS, equals: [], orderBy: [] };

/** The queue shards go through (Cloud Tasks in production; see infra/tasks/broadcast.queues.ts). */
export interface BroadcastQueue {
  enqueue(shard: BroadcastShard, options: { id: string }): Promise<'enqueued' | 'duplicate'>;
}

/** A shard's payload as the queue delivers it (validated: a malformed task is dropped). */
export const broadcastShardSchema = z.strictObject({
  jobId: z.string().regex(/^bj_[0-9a-f]{40}$/),
  index: z.number().int().min(0),
  after: z.string().min(1).max(1500).nullable(),
});

const storedJobSchema = z.object({
  batchId: z.string(),
  batchKey: z.string(),
  audience: z.enum(['userIds', 'allUsers']),
  userIds: z.array(z.string()).nullable(),
  content: z.object({
    title: z.string(),
    body: z.string(),
    data: z.record(z.string(), z.string()),
    channels: z.partialRecord(z.enum(['inbox', 'push', 'email']), z.boolean()).nullable(),
  }),
  createdBy: z.string().nullable(),
  shardSize: z.number().int().min(1),
  estimatedTotal: z.number(),
  sent: z.number(),
  skipped: z.number(),
  failed: z.number(),
  shardsDone: z.number(),
  shardsTotal: z.number().nullable(),
  createdAt: z.instanceof(Timestamp),
});
type StoredJob = z.infer<typeof storedJobSchema>;

const storedMarkerSchema = z.object({ next: broadcastShardSchema.nullable() });

export interface BroadcastRequest {
  audience: BroadcastAudience;
  title: string;
  body: string;
  data?: Record<string, string> | undefined;
  channels?: Partial<Record<'inbox' | 'push' | 'email', boolean>> | undefined;
  idempotencyKey?: string | undefined;
}

export interface BroadcastStart {
  jobId: string;
  batchId: string;
  /** The shards went to the queue: poll the job for progress. */
  queued: boolean;
  /** This request's own deliveries (listed users, or a whole audience run in process). */
  report: ShardTally | null;
  progress: JobProgress;
}

/** What one run of a shard did. */
export interface ShardRun {
  status: 'done' | 'already-done' | 'no-job';
  /** The engine's outcomes (`null` when nothing was delivered). */
  tally: ShardTally | null;
  /** This run recorded the shard (its counts went into the job); false for a repeat. */
  firstCompletion: boolean;
  /** The shard after this one (already dispatched when a dispatcher was given). */
  next: BroadcastShard | null;
}

const jobRef = (db: Firestore, jobId: string) => db.collection(BROADCAST_JOBS).doc(jobId);
const markerRef = (db: Firestore, shard: Pick<BroadcastShard, 'jobId' | 'index'>) =>
  jobRef(db, shard.jobId).collection(BROADCAST_SHARDS).doc(String(shard.index));

function parseJob(snap: DocumentSnapshot): StoredJob {
  return storedJobSchema.parse(snap.data());
}

function expireAt(now: Date): Timestamp {
  return Timestamp.fromMillis(now.getTime() + BROADCAST_JOB_RETENTION_DAYS * 86_400_000);
}

/**
 * Starts (or, for a repeated idempotency key, resumes) a broadcast. Listed users are delivered
 * here, in one shard. A whole audience is counted, then its first shard goes to `queue`; without
 * a queue (the local stack's inline transport, tests) every shard runs here, one after another.
 */
export async function startBroadcast(
  deps: NotifierDeps,
  input: BroadcastRequest,
  context: { requestId: string; createdBy: string | null },
  queue?: BroadcastQueue,
  options: { concurrency?: number; shardSize?: number } = {},
): Promise<BroadcastStart> {
  const batchKey = input.idempotencyKey ?? `request:${context.requestId}`;
  const batchId = broadcastBatchId(batchKey);
  const jobId = broadcastJobId(batchKey, input.audience);
  const userIds = input.audience.kind === 'userIds' ? [...new Set(input.audience.userIds)] : null;
  if (userIds !== null && userIds.length > BROADCAST_SHARD_SIZE)
    throw AppError.validation([
      { field: 'userIds', message: `at most ${BROADCAST_SHARD_SIZE} users per request` },
    ]);
  const estimatedTotal =
    userIds === null
      ? (
          await applyShape(deps.db.collection(USERS), BROADCAST_AUDIENCE_QUERY, { equals: {} })
            .count()
            .get()
        ).data().count
      : userIds.length;
  const now = deps.clock.now();
  try {
    await jobRef(deps.db, jobId).create({
      batchId,
      batchKey,
      audience: input.audience.kind,
      userIds,
      content: {
        title: input.title,
        body: input.body,
        data: input.data ?? {},
        channels: input.channels ?? null,
      },
      createdBy: context.createdBy,
      // Fixed per job (tests use small shards): every run of every shard pages the same way.
      shardSize: options.shardSize ?? BROADCAST_SHARD_SIZE,
      requestId: context.requestId,
      estimatedTotal,
      sent: 0,
      skipped: 0,
      failed: 0,
      shardsDone: 0,
      // Listed users are one shard; an audience's count is known when its walk ends.
      shardsTotal: userIds === null ? null : 1,
      createdAt: Timestamp.fromDate(now),
      updatedAt: Timestamp.fromDate(now),
      expireAt: expireAt(now),
    } satisfies StoredJob & Record<string, unknown>);
  } catch (e) {
    // A repeated request: the job it started is resumed below (every step is idempotent).
    if (!isAlreadyExists(e)) throw e;
  }
  const first: BroadcastShard = { jobId, index: 0, after: null };
  let report: ShardTally | null = null;
  const queued = userIds === null && queue !== undefined;
  if (queued) {
    await queue.enqueue(first, { id: shardTaskId(first) });
  } else if (userIds !== null) {
    // A retried request delivers again (all duplicates) and reports what the engine answered.
    report = (await runBroadcastShard(deps, first, { ...options, repeat: 'deliver' })).tally;
  } else {
    report = await runBroadcastShards(deps, first, undefined, options);
  }
  const progress = await getBroadcastJob(deps.db, jobId);
  deps.logger.info('Broadcast started', { jobId, batchId, queued, ...progress.progress });
  return { jobId, batchId, queued, report, progress: progress.progress };
}

/**
 * The queue's handler: runs `first`, dispatching its successor to `queue` before delivering. With
 * no queue (the inline transport) it runs that shard and every one after it here, one after another
 * (an already recorded shard is passed over by its marker's `next`). Answers what was delivered.
 */
export async function runBroadcastShards(
  deps: NotifierDeps,
  first: BroadcastShard,
  queue: BroadcastQueue | undefined,
  options: { concurrency?: number } = {},
): Promise<ShardTally | null> {
  if (queue !== undefined) {
    const run = await runBroadcastShard(deps, first, {
      ...options,
      dispatch: (next) => queue.enqueue(next, { id: shardTaskId(next) }),
    });
    return run.tally;
  }
  const runs: ShardTally[] = [];
  for (let shard: BroadcastShard | null = first; shard !== null;) {
    const run = await runBroadcastShard(deps, shard, options);
    if (run.tally !== null) runs.push(run.tally);
    shard = run.next;
  }
  if (runs.length === 0) return null;
  return runs.reduce(mergeTallies);
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function mergeTallies(a: ShardTally, b: ShardTally): ShardTally {
  return {
    recipients: a.recipients + b.recipients,
    sent: a.sent + b.sent,
    skipped: a.skipped + b.skipped,
    failed: a.failed + b.failed,
    inbox: mergeCounts(a.inbox, b.inbox),
    push: mergeCounts(a.push, b.push),
    email: mergeCounts(a.email, b.email),
  };
}

/**
 * One shard: its page of recipients through the engine, then its done-marker and counts in one
 * commit. `dispatch` receives the next shard (when this page was full) before any delivery, so the
 * queue can start it while this one works. A shard already recorded does nothing (`repeat:
 * 'skip'`, the queue's redelivery) or delivers again to report the engine's duplicates (`repeat:
 * 'deliver'`, a retried request of listed users); either way nothing is sent or counted twice.
 */
export async function runBroadcastShard(
  deps: NotifierDeps,
  shard: BroadcastShard,
  options: {
    dispatch?: (next: BroadcastShard) => Promise<unknown>;
    concurrency?: number;
    repeat?: 'skip' | 'deliver';
  } = {},
): Promise<ShardRun> {
  const { db } = deps;
  const [jobSnap, markerSnap] = await db.getAll(jobRef(db, shard.jobId), markerRef(db, shard));
  if (jobSnap === undefined || !jobSnap.exists || markerSnap === undefined) {
    deps.logger.warn('Broadcast shard of an unknown job; dropped', { ...shard });
    return { status: 'no-job', tally: null, firstCompletion: false, next: null };
  }
  const job = parseJob(jobSnap);
  if (job.audience === 'userIds' && shard.index !== 0) {
    // Listed users are one shard: any other index is not a shard of this job.
    deps.logger.warn('Broadcast shard beyond a list of users; dropped', { ...shard });
    return { status: 'no-job', tally: null, firstCompletion: false, next: null };
  }
  if (markerSnap.exists && (options.repeat ?? 'skip') === 'skip') {
    const { next } = storedMarkerSchema.parse(markerSnap.data());
    return { status: 'already-done', tally: null, firstCompletion: false, next };
  }

  let profiles: DocumentSnapshot[];
  let next: BroadcastShard | null = null;
  if (job.audience === 'userIds') {
    const ids = job.userIds ?? [];
    profiles =
      ids.length === 0 ? [] : await db.getAll(...ids.map((id) => db.collection(USERS).doc(id)));
  } else {
    const base = applyShape(db.collection(USERS), BROADCAST_AUDIENCE_QUERY, { equals: {} }).orderBy(
      FieldPath.documentId(),
    );
    const page = await (shard.after === null ? base : base.startAfter(shard.after))
      .limit(job.shardSize)
      .get();
    profiles = page.docs;
    next = nextShard(shard, page.size, page.docs[page.size - 1]?.id, job.shardSize);
    if (next !== null && options.dispatch !== undefined) await options.dispatch(next);
  }

  const outcomes = await deliverAll(deps, job, profiles, options.concurrency);
  const tally = tallyShard(outcomes);
  const now = deps.clock.now();
  const batch = db.batch();
  batch.create(markerRef(db, shard), {
    index: shard.index,
    recipients: tally.recipients,
    sent: tally.sent,
    skipped: tally.skipped,
    failed: tally.failed,
    next,
    completedAt: Timestamp.fromDate(now),
    expireAt: expireAt(now),
  });
  batch.update(jobRef(db, shard.jobId), {
    sent: FieldValue.increment(tally.sent),
    skipped: FieldValue.increment(tally.skipped),
    failed: FieldValue.increment(tally.failed),
    shardsDone: FieldValue.increment(1),
    ...(job.audience === 'allUsers' && next === null ? { shardsTotal: shard.index + 1 } : {}),
    updatedAt: Timestamp.fromDate(now),
  });
  let firstCompletion = true;
  try {
    await batch.commit();
  } catch (e) {
    // Recorded by an earlier run: the whole commit is refused, the counts stay as they were.
    if (!isAlreadyExists(e)) throw e;
    firstCompletion = false;
  }
  deps.logger.info('Broadcast shard', {
    ...shard,
    recipients: tally.recipients,
    sent: tally.sent,
    skipped: tally.skipped,
    failed: tally.failed,
    firstCompletion,
  });
  return { status: 'done', tally, firstCompletion, next };
}

/** Each profile through the engine, `concurrency` recipients in flight; outcomes in page order. */
async function deliverAll(
  deps: NotifierDeps,
  job: StoredJob,
  profiles: readonly DocumentSnapshot[],
  concurrency = BROADCAST_SHARD_CONCURRENCY,
): Promise<RecipientOutcome[]> {
  const outcomes: RecipientOutcome[] = new Array<RecipientOutcome>(profiles.length);
  let nextIndex = 0;
  const worker = async (): Promise<void> => {
    for (let i = nextIndex++; i < profiles.length; i = nextIndex++) {
      const snap = profiles[i];
      if (snap === undefined) continue;
      const intent: NotificationIntent = {
        key: `bulk:${job.batchKey}:${snap.id}`,
        recipientId: snap.id,
        category: 'broadcast',
        title: job.content.title,
        body: job.content.body,
        groupKey: `broadcast:${job.batchId}`,
        data: { ...job.content.data, batchId: job.batchId },
        channels: job.content.channels ?? undefined,
        email: { kind: 'message', heading: job.content.title, body: job.content.body },
      };
      const { inbox, push, email } = await deliverNotification(deps, intent, recipientFrom(snap));
      outcomes[i] = { inbox, push, email };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, profiles.length) }, worker));
  return outcomes;
}

export interface BroadcastJobView {
  jobId: string;
  batchId: string;
  audience: 'userIds' | 'allUsers';
  createdAt: string;
  progress: JobProgress;
}

/** A job's progress (the poll); 404 for an unknown job. One document read. */
export async function getBroadcastJob(db: Firestore, jobId: string): Promise<BroadcastJobView> {
  const snap = await jobRef(db, jobId).get();
  if (!snap.exists) throw AppError.notFound(`Broadcast job ${jobId} not found`);
  const job = parseJob(snap);
  return {
    jobId,
    batchId: job.batchId,
    audience: job.audience,
    createdAt: job.createdAt.toDate().toISOString(),
    progress: jobProgress(job),
  };
}
