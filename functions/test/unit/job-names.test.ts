import * as index from '../../src/index';
import { SCHEDULED_JOB_NAMES } from '../../src/domain/health/job-health.service';
import { OVERDUE_JOB, REMINDER_JOB } from '../../src/domain/reminders/reminder-jobs.service';

type Exported = { __endpoint?: { scheduleTrigger?: object } };

describe('one name per scheduled job: its deployed function name', () => {
  beforeAll(() => {
    // The 1st-gen Auth triggers' endpoints name the project (read from the environment).
    process.env.GCLOUD_PROJECT ??= 'demo-taskflow';
  });

  it('the jobs the health check reports are exactly the scheduled functions', () => {
    const scheduled = Object.entries(index as Record<string, Exported>)
      .filter(([, fn]) => fn.__endpoint?.scheduleTrigger !== undefined)
      .map(([name]) => name)
      .sort();
    expect([...SCHEDULED_JOB_NAMES]).toEqual(scheduled);
  });

  it('the reminder sweeps record and log under their functions’ names', () => {
    expect([REMINDER_JOB.name, OVERDUE_JOB.name]).toEqual([
      'sendDueReminders',
      'checkOverdueTasks',
    ]);
  });
});
