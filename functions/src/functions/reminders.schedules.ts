import { onSchedule } from 'firebase-functions/scheduler';
import { NOTIFY_SECRETS } from '../config/params';
import { SCHEDULE_OPTIONS } from '../config/runtime-options';

/**
 * `sendDueReminders` (every 5 minutes): due-date reminders at each assignee's lead times.
 * `checkOverdueTasks` (every 30 minutes): overdue notices and their daily follow-ups.
 * Both read only the tasks that are due and deliver each notification exactly once per key,
 * so a tick that Cloud Scheduler repeats, or a slow run overlapping the next, does no double
 * work (no "one scheduler per worker" duplication can arise). The domain is loaded on
 * the first run, not at module load (cold start).
 */
export const sendDueReminders = onSchedule(
  {
    schedule: 'every 5 minutes',
    ...SCHEDULE_OPTIONS,
    secrets: NOTIFY_SECRETS,
    timeoutSeconds: 300,
    retryCount: 0,
  },
  async (event) => {
    const [{ getRuntime }, { notifierDeps }, { runReminderJob }] = await Promise.all([
      import('../composition-root'),
      import('../domain/notifications/delivery.service'),
      import('../domain/reminders/reminder-jobs.service'),
    ]);
    const { deps, logger } = getRuntime();
    const log = logger.child({ function: 'sendDueReminders', scheduleTime: event.scheduleTime });
    await runReminderJob(notifierDeps(deps, log));
  },
);

export const checkOverdueTasks = onSchedule(
  {
    schedule: 'every 30 minutes',
    ...SCHEDULE_OPTIONS,
    secrets: NOTIFY_SECRETS,
    timeoutSeconds: 540,
    retryCount: 0,
  },
  async (event) => {
    const [{ getRuntime }, { notifierDeps }, { runOverdueJob }] = await Promise.all([
      import('../composition-root'),
      import('../domain/notifications/delivery.service'),
      import('../domain/reminders/reminder-jobs.service'),
    ]);
    const { deps, logger } = getRuntime();
    const log = logger.child({ function: 'checkOverdueTasks', scheduleTime: event.scheduleTime });
    await runOverdueJob(notifierDeps(deps, log));
  },
);
