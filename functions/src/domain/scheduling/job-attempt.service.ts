import { performance } from 'node:perf_hooks';
import { FieldValue, Timestamp } from 'firebase-admin/firestore';
import type { Logger } from '../../core/logger';
import { countCronRuns, nextCronRun } from './cron';
import {
  JOB_PARAMETER_SCHEMAS,
  RUN_RETENTION_DAYS,
  type AttemptRef,
  type JobRunDoc,
  type ScheduledJobDoc,
} from './job.schema';
import { PermanentJobError, type JobRunners, type SchedulingDeps } from './runner';
import { isAlreadyExists } from '../../storage/already-exists';
import { jobRunDocs, scheduledJobRef } from '../../storage/refs';
import {
  currentAttempt,
  errorMessage,
  retryAttempt,
  retryDelayMs,
  skippedSummary,
  summaryOf,
  type DispatchOptions,
  type Outcome,
  type RunSummary,
} from './dispatch-policy';

/**
 * The life of one attempt of a scheduled job, shared by the dispatcher and run-now: the claim
 * (`create()` of its run document), the run under a lease and a timeout, the outcome recorded on
 * the run, and the job moved on to its next occurrence or retry. The module comment of
 * `dispatcher.service.ts` says why each attempt runs exactly once.
 */

/** What one dispatcher run (or one run-now call) works with; `reads` counts documents read. */
export interface AttemptEnv<D extends SchedulingDeps> {
  deps: D;
  logger: Logger;
  runners: JobRunners<D>;
  options: DispatchOptions;
  reads: number;
}

export const jobRef = (env: { deps: SchedulingDeps }, jobId: string) =>
  scheduledJobRef(env.deps.db, jobId);

export const runRef = (env: { deps: SchedulingDeps }, jobId: string, runId: string) =>
  jobRunDocs(env.deps.db, jobId).doc(runId);

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === 5;
}

export const ts = (ms: number) => Timestamp.fromMillis(ms);

/** Creates the attempt's run document: the claim. Null when it exists already (taken). */
export async function claimAttempt<D extends SchedulingDeps>(
  env: AttemptEnv<D>,
  jobId: string,
  job: ScheduledJobDoc,
  attempt: AttemptRef,
  now: Date,
): Promise<JobRunDoc | null> {
  const missedRuns =
    attempt.trigger === 'schedule' && attempt.attempt === 1
      ? countCronRuns(job.schedule, job.timezone, attempt.scheduledFor.toDate(), now)
      : 0;
  const run: JobRunDoc = { ...baseRun(jobId, job, attempt, ts(now.getTime()), env), missedRuns };
  try {
    await runRef(env, jobId, attempt.runId).create(run);
    return run;
  } catch (e) {
    if (isAlreadyExists(e)) return null;
    throw e;
  }
}

/** Marks the job as running the claimed attempt, runs it, records the outcome. */
export async function execute<D extends SchedulingDeps>(
  env: AttemptEnv<D>,
  jobId: string,
  job: ScheduledJobDoc,
  attempt: AttemptRef,
  run: JobRunDoc,
): Promise<RunSummary> {
  const now = env.deps.clock.now();
  try {
    await jobRef(env, jobId).update({
      inFlight: attempt,
      pendingRetry: null,
      nextRunAt: run.leaseUntil,
      updatedAt: ts(now.getTime()),
      ...(run.missedRuns > 0 ? { missedRuns: FieldValue.increment(run.missedRuns) } : {}),
    });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await runRef(env, jobId, attempt.runId).update({
      status: 'failed',
      error: 'the job was deleted',
      endedAt: ts(now.getTime()),
      durationMs: 0,
    });
    return skippedSummary(jobId, job, attempt.runId, 'job deleted');
  }
  const log = env.logger.child({
    jobId,
    runId: attempt.runId,
    taskType: job.taskType,
    attempt: attempt.attempt,
  });
  const started = performance.now();
  const outcome = await invokeRunner(env, jobId, job, attempt, log);
  const finished = await recordOutcome(
    env,
    jobId,
    job,
    attempt,
    run,
    outcome,
    performance.now() - started,
    log,
  );
  return summaryOf(jobId, attempt.runId, finished);
}

async function invokeRunner<D extends SchedulingDeps>(
  env: AttemptEnv<D>,
  jobId: string,
  job: ScheduledJobDoc,
  attempt: AttemptRef,
  logger: Logger,
): Promise<Outcome> {
  const runner = env.runners[job.taskType];
  if (runner === undefined) {
    return { ok: false, error: `no runner is installed for ${job.taskType}`, retryable: false };
  }
  const params = JOB_PARAMETER_SCHEMAS[job.taskType].safeParse(job.parameters);
  if (!params.success) {
    const issue = params.error.issues[0];
    const field = ['parameters', ...(issue?.path.map(String) ?? [])].join('.');
    return { ok: false, error: `${field}: ${issue?.message ?? 'invalid'}`, retryable: false };
  }
  try {
    const result = await withTimeout(
      runner({
        deps: env.deps,
        logger,
        job: {
          id: jobId,
          taskType: job.taskType,
          schedule: job.schedule,
          timezone: job.timezone,
          parameters: params.data as Record<string, unknown>,
          description: job.description,
          createdBy: job.createdBy,
        },
        scheduledFor: attempt.scheduledFor.toDate(),
        runId: attempt.runId,
        attempt: attempt.attempt,
        trigger: attempt.trigger,
      }),
      env.options.runTimeoutMs,
    );
    env.reads += result.documentsRead ?? 0;
    return { ok: true, result };
  } catch (e) {
    return { ok: false, error: errorMessage(e), retryable: !(e instanceof PermanentJobError) };
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${Math.round(ms / 1000)} s`));
    }, ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * Writes the attempt's outcome on its run document, then moves the job on. A failure that may be
 * retried and has attempts left gets a retry after {@link retryDelayMs}; the last one is logged as
 * an error and the job waits for its next occurrence.
 */
export async function recordOutcome<D extends SchedulingDeps>(
  env: AttemptEnv<D>,
  jobId: string,
  job: ScheduledJobDoc,
  attempt: AttemptRef,
  base: JobRunDoc,
  outcome: Outcome,
  durationMs: number,
  logger: Logger = env.logger.child({ jobId, runId: attempt.runId }),
): Promise<JobRunDoc> {
  const end = env.deps.clock.now().getTime();
  const willRetry = !outcome.ok && outcome.retryable && attempt.attempt < env.options.maxAttempts;
  const retryAt = willRetry ? ts(end + retryDelayMs(attempt.attempt, env.options)) : null;
  const update = {
    status: outcome.ok ? ('success' as const) : ('failed' as const),
    endedAt: ts(end),
    durationMs: Math.round(durationMs),
    error: outcome.ok ? null : outcome.error,
    willRetry,
    retryAt,
    itemsActedOn: outcome.ok ? outcome.result.itemsActedOn : null,
    documentsRead: outcome.ok ? (outcome.result.documentsRead ?? null) : null,
    detail: outcome.ok ? (outcome.result.detail ?? null) : null,
  };
  const ref = runRef(env, jobId, attempt.runId);
  await ref.set(update, { merge: true });
  const run: JobRunDoc = { ...base, ...update };
  if (!outcome.ok) {
    const fields = {
      error: outcome.error,
      attempt: attempt.attempt,
      willRetry,
      retryAt: retryAt?.toDate().toISOString(),
    };
    if (willRetry) logger.warn('Scheduled job run failed; will retry', fields);
    else logger.error('Scheduled job run failed', { ...fields, attempts: attempt.attempt });
  }
  await finalizeJob(env, jobId, attempt, run);
  return run;
}

/** The run document of an attempt started at `startedAt`, before it has an outcome. */
export function baseRun<D extends SchedulingDeps>(
  jobId: string,
  job: ScheduledJobDoc,
  attempt: AttemptRef,
  startedAt: Timestamp,
  env: AttemptEnv<D>,
): JobRunDoc {
  return {
    jobId,
    taskType: job.taskType,
    trigger: attempt.trigger,
    attempt: attempt.attempt,
    baseRunId: attempt.baseRunId,
    scheduledFor: attempt.scheduledFor,
    startedAt,
    endedAt: null,
    durationMs: null,
    status: 'running',
    error: null,
    willRetry: false,
    retryAt: null,
    leaseUntil: ts(startedAt.toMillis() + env.options.leaseMs),
    missedRuns: 0,
    itemsActedOn: null,
    documentsRead: null,
    detail: null,
    requestedBy: attempt.requestedBy,
    expireAt: ts(startedAt.toMillis() + RUN_RETENTION_DAYS * 86_400_000),
  };
}

/**
 * Moves the job past a finished attempt: success → the next occurrence after the run ended;
 * failure with a retry → the retry at its time; final failure → the next occurrence. Only if the
 * job still waits for that attempt (a dispatcher that was overtaken changes nothing). Values are
 * computed from the run record, so two dispatchers settling one attempt write the same thing.
 */
export async function finalizeJob<D extends SchedulingDeps>(
  env: AttemptEnv<D>,
  jobId: string,
  attempt: AttemptRef,
  run: JobRunDoc,
): Promise<void> {
  const ref = jobRef(env, jobId);
  const snap = await ref.get();
  env.reads++;
  const job = snap.data();
  if (job === undefined) return;
  if (currentAttempt(job)?.runId !== attempt.runId) return;
  const ended = run.endedAt ?? ts(env.deps.clock.now().getTime());
  const next = () => ts(nextCronRun(job.schedule, job.timezone, ended.toDate()).getTime());
  const common = {
    inFlight: null,
    lastRunAt: run.startedAt,
    updatedAt: ts(env.deps.clock.now().getTime()),
  };
  try {
    if (run.status === 'success') {
      await ref.update({
        ...common,
        pendingRetry: null,
        nextRunAt: next(),
        lastStatus: 'success',
        lastSuccessAt: ended,
        lastError: null,
      });
    } else if (run.willRetry && run.retryAt !== null) {
      await ref.update({
        ...common,
        pendingRetry: retryAttempt(attempt),
        nextRunAt: run.retryAt,
        lastStatus: 'failed',
        lastError: run.error,
      });
    } else {
      await ref.update({
        ...common,
        pendingRetry: null,
        nextRunAt: next(),
        lastStatus: 'failed',
        lastError: run.error,
      });
    }
  } catch (e) {
    if (!isNotFound(e)) throw e; // deleted while it ran: nothing to move on
  }
}
