import type { QueryShape } from '../../core/query-shape';
import type { AttemptRef, JobRunDoc, ScheduledJobDoc } from './job.schema';
import type { JobResult } from './runner';
import { SCHEDULED_JOBS } from '../../storage/collections';

/**
 * What the dispatcher of user-defined scheduled jobs decides without reading or writing anything:
 * which jobs are due (the query's shape), its limits, retry back-off, the deterministic run ids
 * every attempt is claimed under, the attempt a job is waiting for, the retry that follows a failed
 * attempt, and the report's shape.
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

/** The attempt that retries `failed`: same occurrence, the next attempt number and its run id. */
export function retryAttempt(failed: AttemptRef): AttemptRef {
  return {
    runId: retryRunId(failed.baseRunId, failed.attempt + 1),
    baseRunId: failed.baseRunId,
    attempt: failed.attempt + 1,
    scheduledFor: failed.scheduledFor,
    trigger: failed.trigger,
    requestedBy: failed.requestedBy,
  };
}

/** How a runner's attempt ended: its result, or an error and whether a retry may help. */
export type Outcome =
  { ok: true; result: JobResult } | { ok: false; error: string; retryable: boolean };

/** The error text a run records: the message, at most 1000 characters. */
export function errorMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 1000);
}

/** An attempt that did not run, and why. */
export function skippedSummary(
  jobId: string,
  job: ScheduledJobDoc,
  runId: string,
  reason: string,
): RunSummary {
  return {
    jobId,
    runId,
    taskType: job.taskType,
    attempt: 0,
    status: 'skipped',
    durationMs: 0,
    itemsActedOn: 0,
    missedRuns: 0,
    willRetry: false,
    error: null,
    reason,
  };
}

/** A job whose handling threw before any attempt was recorded. */
export function failedSummary(jobId: string, taskType: string, error: string): RunSummary {
  return {
    jobId,
    runId: '',
    taskType,
    attempt: 0,
    status: 'failed',
    durationMs: 0,
    itemsActedOn: 0,
    missedRuns: 0,
    willRetry: false,
    error,
  };
}

/** A finished attempt as the report shows it. */
export function summaryOf(jobId: string, runId: string, run: JobRunDoc): RunSummary {
  return {
    jobId,
    runId,
    taskType: run.taskType,
    attempt: run.attempt,
    status: run.status === 'success' ? 'success' : 'failed',
    durationMs: run.durationMs ?? 0,
    itemsActedOn: run.itemsActedOn ?? 0,
    missedRuns: run.missedRuns,
    willRetry: run.willRetry,
    error: run.error,
  };
}

/** The report of one dispatcher run: its attempts counted by status, reads and items acted on. */
export function summarize(runs: RunSummary[], reads: number, durationMs: number): DispatchReport {
  const count = (status: RunSummary['status']) => runs.filter((r) => r.status === status).length;
  return {
    due: runs.length,
    ran: runs.filter((r) => r.status !== 'skipped').length,
    succeeded: count('success'),
    failed: count('failed'),
    skipped: count('skipped'),
    documentsRead: reads,
    itemsActedOn: runs.reduce((n, r) => n + r.itemsActedOn, 0),
    durationMs: Math.round(durationMs),
    runs,
  };
}
