import { performance } from 'node:perf_hooks';
import { AppError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { applyShape } from '../../core/query-shape';
import { recordSweepError } from './sweep-errors.service';
import type { AttemptRef, JobRunDoc, ScheduledJobDoc } from './job.schema';
import type { JobRunners, SchedulingDeps } from './runner';
import { scheduledJobDocs } from '../../storage/refs';
import {
  DEFAULT_DISPATCH_OPTIONS,
  DUE_JOBS_QUERY,
  currentAttempt,
  errorMessage,
  failedSummary,
  manualRunId,
  skippedSummary as skipped,
  summarize,
  summaryOf,
  type DispatchOptions,
  type DispatchReport,
  type RunSummary,
} from './dispatch-policy';
import {
  baseRun,
  claimAttempt,
  execute,
  finalizeJob,
  jobRef,
  recordOutcome,
  runRef,
  ts,
  type AttemptEnv as Env,
} from './job-attempt.service';

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
 *
 * This module decides which attempt to take; `job-attempt.service.ts` claims, runs and records it.
 */

/** The state one dispatch or run-now call carries: its deps, runners, options and reads so far. */
function envOf<D extends SchedulingDeps>(
  deps: D,
  logger: Logger,
  runners: JobRunners<D>,
  options: Partial<DispatchOptions>,
): Env<D> {
  return { deps, logger, runners, options: { ...DEFAULT_DISPATCH_OPTIONS, ...options }, reads: 0 };
}

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
  const env = envOf(deps, logger, runners, options);
  const now = deps.clock.now();
  const snap = await applyShape(scheduledJobDocs(deps.db), DUE_JOBS_QUERY, {
    equals: { enabled: true },
    range: { to: ts(now.getTime() + 1) },
  })
    .limit(env.options.limit)
    .get();
  env.reads += Math.max(1, snap.size);
  const runs = await Promise.all(
    snap.docs.map(async (doc) => {
      let taskType = '';
      try {
        // Checked against the job schema: a document that fails it is one that cannot be dispatched.
        const job = doc.data();
        taskType = job.taskType;
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
        if (quarantine) await doc.ref.update({ enabled: false, lastError: errorMessage(e) });
        logger.error('Scheduled job could not be dispatched', {
          jobId: doc.id,
          quarantined: quarantine,
          error: errorMessage(e),
        });
        return failedSummary(doc.id, taskType, errorMessage(e));
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
  const freshJob = fresh.data();
  if (freshJob === undefined) return skipped(jobId, job, attempt.runId, 'job deleted');
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
  const run = snap.data();
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
  const env = envOf(deps, logger, runners, options);
  const snap = await jobRef(env, jobId).get();
  const job = snap.data();
  if (job === undefined) throw AppError.notFound(`Scheduled task ${jobId} not found`);
  const now = deps.clock.now();
  const runId = manualRunId(input.requestId);
  const existing = (await runRef(env, jobId, runId).get()).data();
  if (existing !== undefined) return { runId, run: existing, job };
  if (job.inFlight !== null) {
    const busy = (await runRef(env, jobId, job.inFlight.runId).get()).data();
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
  if (claimed === null) return { runId, run: await claimedRun(env, jobId, runId), job };
  await execute(env, jobId, job, attempt, claimed);
  const [run, after] = await Promise.all([claimedRun(env, jobId, runId), jobRef(env, jobId).get()]);
  return { runId, run, job: after.data() ?? null };
}

/** The run document of an attempt claimed here or by a replay: it exists (create() said so). */
async function claimedRun<D extends SchedulingDeps>(
  env: Env<D>,
  jobId: string,
  runId: string,
): Promise<JobRunDoc> {
  const run = (await runRef(env, jobId, runId).get()).data();
  if (run === undefined) throw new Error(`scheduledJobs/${jobId}/runs/${runId} vanished`);
  return run;
}
