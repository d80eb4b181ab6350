import { performance } from 'node:perf_hooks';
import { FieldValue, Timestamp, type DocumentReference } from 'firebase-admin/firestore';
import { AppError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { applyShape } from '../../core/query-shape';
import { recordSweepError } from './sweep-errors.service';
import { countCronRuns, nextCronRun } from './cron';
import {
  JOB_PARAMETER_SCHEMAS,
  RUN_RETENTION_DAYS,
  type AttemptRef,
  type JobRunDoc,
  type ScheduledJobDoc,
} from './job.schema';
import { PermanentJobError, type JobResult, type JobRunners, type SchedulingDeps } from './runner';
import { SCHEDULED_JOBS, RUNS } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import {
  DEFAULT_DISPATCH_OPTIONS,
  DUE_JOBS_QUERY,
  currentAttempt,
  manualRunId,
  retryDelayMs,
  retryRunId,
  type DispatchOptions,
  type DispatchReport,
  type RunSummary,
} from './dispatch-policy';

/**
 * The dispatcher of user-defined scheduled jobs, and the run-now path that shares its claim and
 * bookkeeping.
 *
 * Exactly once per occurrence: every attempt is claimed by `create()` of a run document whose id
 * is deterministic — the occurrence's time (`runs/2026-03-30T07:00:00.000Z`), `…#retryN` for
 * retries, `manual-<request id>` for run-now — so two dispatchers that overlap (Cloud Scheduler
 * runs each tick once, but a slow tick can overlap the next) never run one attempt twice:
 * `create()` is the one atomic claim both real Firestore and the embedded test server enforce
 * (tested). While an attempt runs, the job's `nextRunAt` is its lease end, so a dispatcher that
 * died mid-run is noticed by the same indexed query: an attempt still `running` after its lease
 * is recorded failed and retried.
 *
 * The next run is computed from the current time, so a job that missed ticks during an outage
 * runs once on recovery (the run records how many occurrences it stood for, `missedRuns`).
 */

interface Env<D extends SchedulingDeps> {
  deps: D;
  logger: Logger;
  runners: JobRunners<D>;
  options: DispatchOptions;
  reads: number;
}

type Outcome = { ok: true; result: JobResult } | { ok: false; error: string; retryable: boolean };

function jobRef(env: { deps: SchedulingDeps }, jobId: string): DocumentReference {
  return env.deps.db.collection(SCHEDULED_JOBS).doc(jobId);
}

function runRef(env: { deps: SchedulingDeps }, jobId: string, runId: string): DocumentReference {
  return jobRef(env, jobId).collection(RUNS).doc(runId);
}

function isNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === 5;
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 1000);
}

const ts = (ms: number) => Timestamp.fromMillis(ms);

/**
 * Runs the jobs that are due now, at most `limit`, concurrently, each attempt claimed once (see
 * the module comment), and logs one summary line: duration, documents read, items acted on,
 * failures. A job whose handling throws (bad stored data) is counted as a failure and does not
 * stop the others.
 */
export async function dispatchDueJobs<D extends SchedulingDeps>(
  deps: D,
  logger: Logger,
  runners: JobRunners<D>,
  options: Partial<DispatchOptions> = {},
): Promise<DispatchReport> {
  const started = performance.now();
  const env: Env<D> = {
    deps,
    logger,
    runners,
    options: { ...DEFAULT_DISPATCH_OPTIONS, ...options },
    reads: 0,
  };
  const now = deps.clock.now();
  const snap = await applyShape(deps.db.collection(SCHEDULED_JOBS), DUE_JOBS_QUERY, {
    equals: { enabled: true },
    range: { to: ts(now.getTime() + 1) },
  })
    .limit(env.options.limit)
    .get();
  env.reads += Math.max(1, snap.size);
  const runs = await Promise.all(
    snap.docs.map(async (doc) => {
      const job = doc.data() as ScheduledJobDoc;
      try {
        return await handleDueJob(env, doc.id, job);
      } catch (e) {
        // Recorded; a job that cannot be dispatched three runs running is disabled (quarantined)
        // so it does not hold a place among the due jobs forever.
        const { quarantine } = await recordSweepError(
          deps.db,
          deps.clock,
          'dispatchScheduledJobs',
          doc.ref.path,
          e,
        );
        if (quarantine) await doc.ref.update({ enabled: false, lastError: messageOf(e) });
        logger.error('Scheduled job could not be dispatched', {
          jobId: doc.id,
          quarantined: quarantine,
          error: messageOf(e),
        });
        return failedSummary(doc.id, job, messageOf(e));
      }
    }),
  );
  const report = summarize(runs, env.reads, performance.now() - started);
  report.due = snap.size;
  logger.info('Scheduled jobs dispatched', {
    job: 'dispatchScheduledJobs',
    durationMs: report.durationMs,
    documentsRead: report.documentsRead,
    itemsActedOn: report.itemsActedOn,
    failures: report.failed,
    due: report.due,
    ran: report.ran,
    skipped: report.skipped,
    runs: report.runs.map(
      ({ jobId, runId, status, attempt, durationMs, itemsActedOn, missedRuns, reason }) => ({
        jobId,
        runId,
        status,
        attempt,
        durationMs,
        itemsActedOn,
        missedRuns,
        ...(reason === undefined ? {} : { reason }),
      }),
    ),
  });
  return report;
}

function failedSummary(jobId: string, job: ScheduledJobDoc, error: string): RunSummary {
  return {
    jobId,
    runId: '',
    taskType: job.taskType,
    attempt: 0,
    status: 'failed',
    durationMs: 0,
    itemsActedOn: 0,
    missedRuns: 0,
    willRetry: false,
    error,
  };
}

function summarize(runs: RunSummary[], reads: number, durationMs: number): DispatchReport {
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

function skipped(jobId: string, job: ScheduledJobDoc, runId: string, reason: string): RunSummary {
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

async function handleDueJob<D extends SchedulingDeps>(
  env: Env<D>,
  jobId: string,
  job: ScheduledJobDoc,
): Promise<RunSummary> {
  const now = env.deps.clock.now();
  if (job.inFlight !== null) return settleAttempt(env, jobId, job, job.inFlight);
  const attempt = currentAttempt(job);
  if (attempt === null) return skipped(jobId, job, '', 'no next run');
  const claimed = await claimAttempt(env, jobId, job, attempt, now);
  if (claimed !== null) return execute(env, jobId, job, attempt, claimed);

  // Someone created this attempt's run first. Look again at the job: if it has moved on, that
  // someone finished; if it still waits for this attempt, its claimant may have died.
  const fresh = await jobRef(env, jobId).get();
  env.reads++;
  if (!fresh.exists) return skipped(jobId, job, attempt.runId, 'job deleted');
  const freshJob = fresh.data() as ScheduledJobDoc;
  const current = currentAttempt(freshJob);
  if (
    !freshJob.enabled ||
    current?.runId !== attempt.runId ||
    (freshJob.nextRunAt?.toMillis() ?? Infinity) > now.getTime()
  ) {
    return skipped(jobId, job, attempt.runId, 'claimed by another dispatcher');
  }
  return settleAttempt(env, jobId, freshJob, current);
}

/**
 * An attempt whose run document exists: still running under its lease (leave it), crashed or
 * lost (record it failed and retry), or finished while the job was not moved on (do that now).
 */
async function settleAttempt<D extends SchedulingDeps>(
  env: Env<D>,
  jobId: string,
  job: ScheduledJobDoc,
  attempt: AttemptRef,
): Promise<RunSummary> {
  const now = env.deps.clock.now();
  const snap = await runRef(env, jobId, attempt.runId).get();
  env.reads++;
  const run = snap.data() as JobRunDoc | undefined;
  if (run?.status === 'running' && run.leaseUntil.toMillis() > now.getTime()) {
    return skipped(jobId, job, attempt.runId, 'running elsewhere');
  }
  if (run === undefined || run.status === 'running') {
    const error =
      run === undefined
        ? 'the run record is missing'
        : `the run did not finish within its lease (until ${run.leaseUntil.toDate().toISOString()})`;
    const base = run ?? baseRun(jobId, job, attempt, ts(now.getTime()), env);
    const finished = await recordOutcome(
      env,
      jobId,
      job,
      attempt,
      base,
      {
        ok: false,
        error,
        retryable: true,
      },
      0,
    );
    return summaryOf(jobId, attempt.runId, finished);
  }
  await finalizeJob(env, jobId, attempt, run);
  return skipped(jobId, job, attempt.runId, 'finished earlier; job moved on now');
}

/** Creates the attempt's run document: the claim. Null when it exists already (taken). */
async function claimAttempt<D extends SchedulingDeps>(
  env: Env<D>,
  jobId: string,
  job: ScheduledJobDoc,
  attempt: AttemptRef,
  now: Date,
): Promise<JobRunDoc | null> {
  const missedRuns =
    attempt.trigger === 'schedule' && attempt.attempt === 1
      ? countCronRuns(job.schedule, job.timezone, attempt.scheduledFor.toDate(), now)
      : 0;
  const run: JobRunDoc = {
    jobId,
    taskType: job.taskType,
    trigger: attempt.trigger,
    attempt: attempt.attempt,
    baseRunId: attempt.baseRunId,
    scheduledFor: attempt.scheduledFor,
    startedAt: ts(now.getTime()),
    endedAt: null,
    durationMs: null,
    status: 'running',
    error: null,
    willRetry: false,
    retryAt: null,
    leaseUntil: ts(now.getTime() + env.options.leaseMs),
    missedRuns,
    itemsActedOn: null,
    documentsRead: null,
    detail: null,
    requestedBy: attempt.requestedBy,
    expireAt: ts(now.getTime() + RUN_RETENTION_DAYS * 86_400_000),
  };
  try {
    await runRef(env, jobId, attempt.runId).create(run);
    return run;
  } catch (e) {
    if (isAlreadyExists(e)) return null;
    throw e;
  }
}

/** Marks the job as running the claimed attempt, runs it, records the outcome. */
async function execute<D extends SchedulingDeps>(
  env: Env<D>,
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
    return skipped(jobId, job, attempt.runId, 'job deleted');
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
  env: Env<D>,
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
    return { ok: false, error: messageOf(e), retryable: !(e instanceof PermanentJobError) };
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
async function recordOutcome<D extends SchedulingDeps>(
  env: Env<D>,
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

function baseRun<D extends SchedulingDeps>(
  jobId: string,
  job: ScheduledJobDoc,
  attempt: AttemptRef,
  startedAt: Timestamp,
  env: Env<D>,
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
async function finalizeJob<D extends SchedulingDeps>(
  env: Env<D>,
  jobId: string,
  attempt: AttemptRef,
  run: JobRunDoc,
): Promise<void> {
  const ref = jobRef(env, jobId);
  const snap = await ref.get();
  env.reads++;
  if (!snap.exists) return;
  const job = snap.data() as ScheduledJobDoc;
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
      const retry: AttemptRef = {
        runId: retryRunId(attempt.baseRunId, attempt.attempt + 1),
        baseRunId: attempt.baseRunId,
        attempt: attempt.attempt + 1,
        scheduledFor: attempt.scheduledFor,
        trigger: attempt.trigger,
        requestedBy: attempt.requestedBy,
      };
      await ref.update({
        ...common,
        pendingRetry: retry,
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

function summaryOf(jobId: string, runId: string, run: JobRunDoc): RunSummary {
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

export interface RunNowInput {
  /** The request's id: the run is `manual-<requestId>`, so a replayed request finds its run. */
  requestId: string;
  requestedBy: string;
}

/**
 * Runs a job now, inline, as the run-now endpoint and `npm run job:run` do: claims
 * `runs/manual-<requestId>` with `create()` (a replayed request gets the run it started) and runs
 * it through the dispatcher's own path (lease, timeout, outcome, retries, next run). Works on a
 * disabled job too (to try it before enabling it); its retries then wait until it is enabled.
 * 409 while another attempt of the job is running under its lease.
 */
export async function runJobNow<D extends SchedulingDeps>(
  deps: D,
  logger: Logger,
  runners: JobRunners<D>,
  jobId: string,
  input: RunNowInput,
  options: Partial<DispatchOptions> = {},
): Promise<{ runId: string; run: JobRunDoc; job: ScheduledJobDoc | null }> {
  const env: Env<D> = {
    deps,
    logger,
    runners,
    options: { ...DEFAULT_DISPATCH_OPTIONS, ...options },
    reads: 0,
  };
  const snap = await jobRef(env, jobId).get();
  if (!snap.exists) throw AppError.notFound(`Scheduled task ${jobId} not found`);
  const job = snap.data() as ScheduledJobDoc;
  const now = deps.clock.now();
  const runId = manualRunId(input.requestId);
  const existing = await runRef(env, jobId, runId).get();
  if (existing.exists) {
    return { runId, run: existing.data() as JobRunDoc, job };
  }
  if (job.inFlight !== null) {
    const busy = (await runRef(env, jobId, job.inFlight.runId).get()).data() as
      JobRunDoc | undefined;
    if (busy?.status === 'running' && busy.leaseUntil.toMillis() > now.getTime()) {
      throw new AppError(
        'CONFLICT',
        `Scheduled task ${jobId} is running (run ${job.inFlight.runId})`,
      );
    }
    if (busy?.status === 'running') {
      await runRef(env, jobId, job.inFlight.runId).update({
        status: 'failed',
        error: 'the run did not finish within its lease; superseded by a manual run',
        endedAt: ts(now.getTime()),
      });
    }
  }
  const attempt: AttemptRef = {
    runId,
    baseRunId: runId,
    attempt: 1,
    scheduledFor: ts(now.getTime()),
    trigger: 'manual',
    requestedBy: input.requestedBy,
  };
  const claimed = await claimAttempt(env, jobId, job, attempt, now);
  if (claimed === null) {
    const run = (await runRef(env, jobId, runId).get()).data() as JobRunDoc;
    return { runId, run, job };
  }
  await execute(env, jobId, job, attempt, claimed);
  const [run, after] = await Promise.all([
    runRef(env, jobId, runId).get(),
    jobRef(env, jobId).get(),
  ]);
  return {
    runId,
    run: run.data() as JobRunDoc,
    job: (after.data() as ScheduledJobDoc | undefined) ?? null,
  };
}
