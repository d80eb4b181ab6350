import { onSchedule } from 'firebase-functions/scheduler';
import {
  DELIVERY_RETENTION_DAYS,
  INBOX_READ_RETENTION_DAYS,
  NOTIFY_SECRETS,
  RECURRENCE_PER_OWNER_PER_RUN,
  STALE_DEVICE_DAYS,
} from '../config/params';
import { SCHEDULE_OPTIONS } from '../config/runtime-options';
import type { ScheduledJobName } from '../domain/health/job-health.service';

/**
 * The scheduling engine's Cloud Scheduler entry points. Cloud Scheduler fires each
 * once per tick; a tick that overlaps the previous one, or is retried, does no double work —
 * every effect is claimed with `create()` of a deterministic document (see the domain modules).
 * Each run logs one summary line and records itself in `jobHealth/{name}` for the health check.
 * Domain code is loaded on the first run, not at module load (cold start of the other functions).
 */

const MINUTE_SECONDS = 60;

/**
 * Runs `work` and records the outcome in `jobHealth/{name}`: success with its summary, or failure
 * (an error thrown, or one `work` reports after finishing what it could) — then rethrows, so
 * Cloud Scheduler records the failure too.
 */
async function recorded(
  name: ScheduledJobName,
  periodSeconds: number,
  work: () => Promise<{ summary: Record<string, unknown>; error?: string }>,
): Promise<void> {
  const [{ getRuntime }, { recordJobRun }] = await Promise.all([
    import('../composition-root'),
    import('../domain/health/job-health.service'),
  ]);
  const { deps } = getRuntime();
  let outcome: { summary: Record<string, unknown>; error?: string };
  try {
    outcome = await work();
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    await recordJobRun(deps.db, deps.clock, name, { periodSeconds, ok: false, error, summary: {} });
    throw e;
  }
  const ok = outcome.error === undefined;
  await recordJobRun(deps.db, deps.clock, name, { periodSeconds, ok, ...outcome });
  if (!ok) throw new Error(`${name}: ${outcome.error ?? ''}`);
}

/**
 * `dispatchScheduledJobs` (every minute): runs the user-defined jobs that are due
 * (`POST /api/scheduled-tasks`), each attempt claimed once, failures retried with backoff.
 */
export const dispatchScheduledJobs = onSchedule(
  {
    schedule: 'every 1 minutes',
    ...SCHEDULE_OPTIONS,
    secrets: NOTIFY_SECRETS,
    timeoutSeconds: 540,
    retryCount: 0,
  },
  async (event) => {
    const [{ getRuntime }, { dispatchDueJobs }, { productionJobRunners }] = await Promise.all([
      import('../composition-root'),
      import('../domain/scheduling/dispatcher.service'),
      import('../domain/scheduling/job-runners.service'),
    ]);
    const { deps, logger } = getRuntime();
    const log = logger.child({
      function: 'dispatchScheduledJobs',
      scheduleTime: event.scheduleTime,
    });
    await recorded('dispatchScheduledJobs', MINUTE_SECONDS, async () => {
      // Failed job runs are the jobs' own business (retried, recorded on the job): the sweep
      // itself failed only if it could not run.
      const { runs: _runs, ...summary } = await dispatchDueJobs(deps, log, productionJobRunners());
      return { summary };
    });
  },
);

/**
 * `spawnRecurringTasks` (every 15 minutes): creates the next occurrence of recurring tasks with
 * `dueMode: on_due` whose due time has passed. (`on_complete` tasks spawn from the task trigger.)
 */
export const spawnRecurringTasks = onSchedule(
  { schedule: 'every 15 minutes', ...SCHEDULE_OPTIONS, timeoutSeconds: 300, retryCount: 0 },
  async (event) => {
    const [{ getRuntime }, { spawnDueOccurrences }] = await Promise.all([
      import('../composition-root'),
      import('../domain/tasks/recurrence-sweep.service'),
    ]);
    const { deps, logger } = getRuntime();
    await recorded('spawnRecurringTasks', 15 * MINUTE_SECONDS, async () => {
      const started = performance.now();
      const report = await spawnDueOccurrences(deps.db, deps.clock, {
        limit: 500,
        perOwnerLimit: RECURRENCE_PER_OWNER_PER_RUN.value(),
      });
      const summary = {
        job: 'spawnRecurringTasks',
        durationMs: Math.round(performance.now() - started),
        itemsActedOn: report.spawned,
        ...report,
      };
      // A task that failed is recorded in sweepErrors and skipped: the sweep itself succeeded.
      const line = 'Recurring tasks spawned';
      if (report.failures > 0 || report.zoneFallbacks > 0) {
        logger.warn(line, { scheduleTime: event.scheduleTime, ...summary });
      } else logger.info(line, { scheduleTime: event.scheduleTime, ...summary });
      return { summary };
    });
  },
);

/**
 * `dailyCleanup` (03:30 UTC): retention of read inbox items, stale devices, finished delivery
 * records, job-run history and rate-limit windows (the TTL policies' backstop). A target that
 * fails fails the run after the others ran, so Cloud Scheduler retries it once (safe: resumable).
 */
export const dailyCleanup = onSchedule(
  {
    schedule: 'every day 03:30',
    timeZone: 'UTC',
    ...SCHEDULE_OPTIONS,
    timeoutSeconds: 540,
    retryCount: 1,
  },
  async (event) => {
    const [{ getRuntime }, { DEFAULT_CLEANUP_SETTINGS, runCleanup }] = await Promise.all([
      import('../composition-root'),
      import('../domain/scheduling/cleanup.service'),
    ]);
    const { deps, logger } = getRuntime();
    await recorded('dailyCleanup', 24 * 60 * MINUTE_SECONDS, async () => {
      const report = await runCleanup(
        {
          db: deps.db,
          clock: deps.clock,
          logger: logger.child({ scheduleTime: event.scheduleTime }),
        },
        {
          ...DEFAULT_CLEANUP_SETTINGS,
          inboxReadRetentionDays: INBOX_READ_RETENTION_DAYS.value(),
          staleDeviceDays: STALE_DEVICE_DAYS.value(),
          deliveryRetentionDays: DELIVERY_RETENTION_DAYS.value(),
        },
      );
      const summary = {
        deleted: report.deleted,
        complete: report.complete,
        documentsRead: report.documentsRead,
      };
      if (report.failures.length === 0) return { summary };
      return { summary, error: report.failures.map((f) => `${f.target}: ${f.error}`).join('; ') };
    });
  },
);
