import type { QueryShape } from '../../core/query-shape';
import type { AttemptRef, ScheduledJobDoc } from './job.schema';
import { SCHEDULED_JOBS } from '../../storage/collections';

/**
 * What the dispatcher of user-defined scheduled jobs decides without reading or writing anything:
 * which jobs are due (the query's shape), its limits, retry back-off, the deterministic run ids
 * every attempt is claimed under, the attempt a job is waiting for, and the report's shape.
 */

/** Due jobs: `enabled == true && nextRunAt <= now`, oldest first (composite index). */
export const DUE_JOBS_QUERY: QueryShape = {
  collection: SCHEDULED_JOBS,
  equals: ['enabled'],
  range: 'nextRunAt',
  orderBy: [['nextRunAt', 'asc']],
};

export interface DispatchOptions {
  /** Due jobs taken per dispatcher run (the rest wait for the next tick). */
  limit: number;
  /** Attempts of one occurrence, the first included, before it is recorded failed. */
  maxAttempts: number;
  /** Delay before the first retry; doubled for each further one, up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How long a claimed attempt belongs to its claimant; after that it counts as crashed. */
  leaseMs: number;
  /** A runner still busy after this is recorded failed (timed out) and retried; ≤ `leaseMs`. */
  runTimeoutMs: number;
}

export const DEFAULT_DISPATCH_OPTIONS: DispatchOptions = {
  limit: 20,
  maxAttempts: 3,
  backoffBaseMs: 60_000,
  backoffMaxMs: 3_600_000,
  leaseMs: 10 * 60_000,
  runTimeoutMs: 9 * 60_000,
};

/** Delay before attempt `failedAttempt + 1`: base · 2^(failedAttempt − 1), capped. */
export function retryDelayMs(
  failedAttempt: number,
  options: Pick<DispatchOptions, 'backoffBaseMs' | 'backoffMaxMs'> = DEFAULT_DISPATCH_OPTIONS,
): number {
  return Math.min(
    options.backoffBaseMs * 2 ** Math.max(0, failedAttempt - 1),
    options.backoffMaxMs,
  );
}

/** The run id of a scheduled occurrence: its instant in ISO-8601 (UTC, milliseconds). */
export function occurrenceRunId(scheduledFor: Date): string {
  return scheduledFor.toISOString();
}

/** The run id of retry `attempt` (≥ 2) of the run `baseRunId`. */
export function retryRunId(baseRunId: string, attempt: number): string {
  return `${baseRunId}#retry${attempt - 1}`;
}

/** The run id of a run-now request: `manual-<request id>` (a replayed request finds its run). */
export function manualRunId(requestId: string): string {
  return `manual-${requestId.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 120)}`;
}

/** One attempt as the dispatch report and the summary log line show it. */
export interface RunSummary {
  jobId: string;
  runId: string;
  taskType: string;
  attempt: number;
  status: 'success' | 'failed' | 'skipped';
  durationMs: number;
  itemsActedOn: number;
  missedRuns: number;
  willRetry: boolean;
  error: string | null;
  /** Why nothing ran (skipped): another dispatcher has it, the job moved on… */
  reason?: string;
}

export interface DispatchReport {
  due: number;
  ran: number;
  succeeded: number;
  failed: number;
  skipped: number;
  documentsRead: number;
  itemsActedOn: number;
  durationMs: number;
  runs: RunSummary[];
}

/** The attempt a job is waiting for: the one in flight, a pending retry, or its next occurrence. */
export function currentAttempt(job: ScheduledJobDoc): AttemptRef | null {
  if (job.inFlight !== null) return job.inFlight;
  if (job.pendingRetry !== null) return job.pendingRetry;
  if (job.nextRunAt === null) return null;
  const runId = occurrenceRunId(job.nextRunAt.toDate());
  return {
    runId,
    baseRunId: runId,
    attempt: 1,
    scheduledFor: job.nextRunAt,
    trigger: 'schedule',
    requestedBy: null,
  };
}
