import type { NotifierDeps } from '../notifications/delivery.service';
import { recordJobRun } from '../health/job-health';
import { runOverdueSweep, runReminderSweep, type SweepOptions, type SweepReport } from './sweeps';

/** The scheduled sweeps: name in `jobHealth/{name}`, Cloud Scheduler period, run budget. */
export const REMINDER_JOB = { name: 'reminders', periodSeconds: 5 * 60, budgetMs: 240_000 };
export const OVERDUE_JOB = { name: 'overdue', periodSeconds: 30 * 60, budgetMs: 480_000 };

async function recorded(
  deps: NotifierDeps,
  job: { name: string; periodSeconds: number },
  run: () => Promise<SweepReport>,
): Promise<SweepReport> {
  let report: SweepReport;
  try {
    report = await run();
  } catch (e) {
    await recordJobRun(deps.db, deps.clock, job.name, job.periodSeconds, false);
    throw e;
  }
  await recordJobRun(deps.db, deps.clock, job.name, job.periodSeconds, report.failures === 0);
  return report;
}

/**
 * One scheduled run of the reminder sweep, recorded in `jobHealth/reminders` for the health
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

/** One scheduled run of the overdue sweep, recorded in `jobHealth/overdue`. */
export function runOverdueJob(
  deps: NotifierDeps,
  options: SweepOptions = {},
): Promise<SweepReport> {
  return recorded(deps, OVERDUE_JOB, () =>
    runOverdueSweep(deps, { budgetMs: OVERDUE_JOB.budgetMs, ...options }),
  );
}
