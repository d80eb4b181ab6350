import { createHash } from 'node:crypto';

/**
 * The pure rules of a sharded broadcast (no Firestore here): how an audience is cut into shards,
 * the deterministic ids that make each shard and each job exactly-once, how one recipient's
 * engine outcome counts, and how a job's progress is read from its counters.
 *
 * An audience is walked by document id, {@link BROADCAST_SHARD_SIZE} users per shard: shard k
 * reads its page after shard k-1's last id (the cursor) and, when the page is full, dispatches
 * shard k+1 before delivering its own recipients, so shards overlap while the walk goes on.
 */

/** Recipients per shard, and the most one request sends in its own process. */
export const BROADCAST_SHARD_SIZE = 500;

/** Recipients of one shard in flight at once (each one a few Firestore round trips). */
export const BROADCAST_SHARD_CONCURRENCY = 16;

/** Days a job document and its shard markers are kept (Firestore TTL on `expireAt`). */
export const BROADCAST_JOB_RETENTION_DAYS = 30;

/** Who a broadcast goes to: listed users (at most one shard), or every user with a profile. */
export type BroadcastAudience =
  { kind: 'userIds'; userIds: readonly string[] } | { kind: 'allUsers' };

/** One unit of work of the queue: which job, which shard, and where its page starts. */
export interface BroadcastShard {
  jobId: string;
  index: number;
  /** The last user id of the previous shard's page; `null` for the first shard. */
  after: string | null;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}

/** The send's batch id (in every recipient's intent): one per idempotency key, as before. */
export function broadcastBatchId(batchKey: string): string {
  return `bulk_${hash(batchKey)}`;
}

/**
 * The job id: the same key and audience give the same job (a retried request finds the job it
 * started); the same key with another list of users — one announcement sent in several requests of
 * listed users — gives one job per request.
 */
export function broadcastJobId(batchKey: string, audience: BroadcastAudience): string {
  const who =
    audience.kind === 'allUsers'
      ? 'audience:allUsers'
      : [...new Set(audience.userIds)].sort().join('\n');
  return `bj_${hash(`${batchKey}\n${who}`)}`;
}

/** The Cloud Tasks id of a shard: a redelivered enqueue of the same shard is refused as a duplicate. */
export function shardTaskId(shard: Pick<BroadcastShard, 'jobId' | 'index'>): string {
  return `${shard.jobId}-s${shard.index}`;
}

/** The shard after one whose page held `pageSize` users ending at `lastId`; `null` when it was the last. */
export function nextShard(
  shard: BroadcastShard,
  pageSize: number,
  lastId: string | undefined,
  shardSize = BROADCAST_SHARD_SIZE,
): BroadcastShard | null {
  if (pageSize < shardSize || lastId === undefined) return null;
  return { jobId: shard.jobId, index: shard.index + 1, after: lastId };
}

/** What the engine answered for one recipient (`DeliverResult` without the inbox id). */
export interface RecipientOutcome {
  inbox: string;
  push: string;
  email: string;
}

export type RecipientTally = 'sent' | 'skipped' | 'failed';

/** Outcomes that mean the channel reached (or will reach, once held or retried) the recipient. */
const REACHED = new Set(['created', 'sent', 'held', 'retrying', 'duplicate']);

/**
 * How one recipient counts in the job: `failed` when a channel failed for good; `sent` when any
 * channel reached them (an inbox item, a push or an email sent, held for quiet hours or retried;
 * `duplicate` — an earlier delivery of this same job reached them, e.g. a shard that crashed before
 * recording itself); `skipped` otherwise (no profile, every channel off or opted out).
 */
export function classifyRecipient(outcome: RecipientOutcome): RecipientTally {
  const channels = [outcome.inbox, outcome.push, outcome.email];
  if (channels.includes('failed')) return 'failed';
  if (channels.some((c) => REACHED.has(c))) return 'sent';
  return 'skipped';
}

export type OutcomeCounts = Record<string, number>;

/** One shard's result: recipient tallies and the engine's outcomes per channel. */
export interface ShardTally {
  recipients: number;
  sent: number;
  skipped: number;
  failed: number;
  inbox: OutcomeCounts;
  push: OutcomeCounts;
  email: OutcomeCounts;
}

function bump(counts: OutcomeCounts, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export function tallyShard(outcomes: readonly RecipientOutcome[]): ShardTally {
  const tally: ShardTally = {
    recipients: outcomes.length,
    sent: 0,
    skipped: 0,
    failed: 0,
    inbox: {},
    push: {},
    email: {},
  };
  for (const outcome of outcomes) {
    tally[classifyRecipient(outcome)] += 1;
    bump(tally.inbox, outcome.inbox);
    bump(tally.push, outcome.push);
    bump(tally.email, outcome.email);
  }
  return tally;
}

/** The counters a job document keeps (each shard adds its tally once, with its done-marker). */
export interface JobCounters {
  /** Recipients counted when the job started (a count() of the audience). */
  estimatedTotal: number;
  sent: number;
  skipped: number;
  failed: number;
  shardsDone: number;
  /** Known once the last shard (a page that was not full) has completed. */
  shardsTotal: number | null;
}

export interface JobProgress {
  total: number;
  sent: number;
  skipped: number;
  failed: number;
  done: boolean;
  shardsDone: number;
  shardsTotal: number | null;
}

/**
 * A job's progress: done when every shard up to the last one has completed. While it runs, `total`
 * is the audience counted at the start (or the recipients processed, if more); once done it is
 * exactly `sent + skipped + failed` (users who joined or left during the send move it).
 */
export function jobProgress(job: JobCounters): JobProgress {
  const processed = job.sent + job.skipped + job.failed;
  const done = job.shardsTotal !== null && job.shardsDone >= job.shardsTotal;
  return {
    total: done ? processed : Math.max(job.estimatedTotal, processed),
    sent: job.sent,
    skipped: job.skipped,
    failed: job.failed,
    done,
    shardsDone: job.shardsDone,
    shardsTotal: job.shardsTotal,
  };
}
