import type { NotifierDeps } from '../notifications/delivery.service';
import { recordJobRun, type ScheduledJobName } from '../health/job-health.service';
import { runOverdueSweep, runReminderSweep } from './reminder-sweeps.service';
import { type SweepOptions, type SweepReport } from './reminder-sweep-report';

/** The scheduled sweeps: their function's name (`jobHealth/{name}`), period, run budget. */
export const REMINDER_JOB = {
  name: 'sendDueReminders',
  periodSeconds: 5 * 60,
  budgetMs: 240_000,
} as const;
export const OVERDUE_JOB = {
  name: 'checkOverdueTasks',
  periodSeconds: 30 * 60,
  budgetMs: 480_000,
} as const;

async function recorded(
  deps: NotifierDeps,
  job: { name: ScheduledJobName; periodSeconds: number },
  run: () => Promise<SweepReport>,
): Promise<SweepReport> {
  let report: SweepReport;
  try {
    report = await run();
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    await recordJobRun(deps.db, deps.clock, job.name, {
      periodSeconds: job.periodSeconds,
      ok: false,
      error,
    });
    throw e;
  }
  const ok = report.failures === 0;
  await recordJobRun(deps.db, deps.clock, job.name, {
    periodSeconds: job.periodSeconds,
    ok,
    ...(ok ? {} : { error: `${report.failures} tasks not handled` }),
  });
  return report;
}

/**
 * One scheduled run of the reminder sweep, recorded in `jobHealth/sendDueReminders` for the health
 * check (successful when every due task was handled). What the `onSchedule` adapter calls.
 */
export function runReminderJob(
  deps: NotifierDeps,
  options: SweepOptions = {},
): Promise<SweepReport> {
  return recorded(deps, REMINDER_JOB, () =>
    runReminderSweep(deps, { budgetMs: REMINDER_JOB.budgetMs, ...options }),
  );
}

/** One scheduled run of the overdue sweep, recorded in `jobHealth/checkOverdueTasks`. */
export function runOverdueJob(
  deps: NotifierDeps,
  options: SweepOptions = {},
): Promise<SweepReport> {
  return recorded(deps, OVERDUE_JOB, () =>
    runOverdueSweep(deps, { budgetMs: OVERDUE_JOB.budgetMs, ...options }),
  );
}
