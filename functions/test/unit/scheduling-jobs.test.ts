import type { Firestore } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { silentLogger } from '../../src/core/logger';
import type { NotificationIntent, PushContent } from '../../src/domain/notifications/channels';
import {
  customNotificationRunner,
  productionJobRunners,
  renderTemplate,
} from '../../src/domain/scheduling/job-runners.service';
import {
  JOB_PARAMETER_SCHEMAS,
  SUPPORTED_JOB_TYPES,
  customNotificationParamsSchema,
} from '../../src/domain/scheduling/job.schema';
import {
  PermanentJobError,
  type JobContext,
  type JobNotifier,
} from '../../src/domain/scheduling/runner';

describe('job types', () => {
  it('the API accepts exactly the types that have a production runner', () => {
    expect(Object.keys(productionJobRunners()).sort()).toEqual([...SUPPORTED_JOB_TYPES].sort());
  });

  it('custom_notification parameters: exactly one target, bounded lists, no reserved data keys', () => {
    const ok = { title: 'Standup', body: 'In 5 minutes', target: { userIds: ['u1', 'u2'] } };
    expect(customNotificationParamsSchema.safeParse(ok).success).toBe(true);
    const paths = (value: unknown) =>
      customNotificationParamsSchema.safeParse(value).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ ...ok, target: { userIds: ['u1'], topic: 'all' } })).toEqual(['target']);
    expect(paths({ ...ok, target: {} })).toEqual(['target']);
    expect(
      paths({ ...ok, target: { userIds: Array.from({ length: 501 }, (_, i) => `u${i}`) } }),
    ).toEqual(['target.userIds']);
    expect(paths({ ...ok, target: { topic: 'has space' } })).toEqual(['target.topic']);
    expect(paths({ ...ok, data: { jobId: 'x' } })).toEqual(['data.jobId']);
    expect(paths({ ...ok, title: '' })).toEqual(['title']);
    expect(paths({ ...ok, timezone: 'Mars/Base' })).toEqual(['timezone']);
    expect(paths({ ...ok, extra: 1 })).toEqual(['']);
  });

  it('every type has a parameter schema (`{userId, timezone}` for the summaries)', () => {
    expect(
      JOB_PARAMETER_SCHEMAS.daily_summary.safeParse({
        userId: 'user_123',
        timezone: 'America/New_York',
      }).success,
    ).toBe(true);
  });
});

describe('renderTemplate', () => {
  it('fills date, time and weekday in the job zone', () => {
    const at = new Date('2026-11-23T23:30:00Z');
    expect(renderTemplate('{{weekday}} {{date}} at {{ time }}', at, 'Asia/Kolkata')).toBe(
      'Tuesday 2026-11-24 at 05:00',
    );
    expect(renderTemplate('No placeholders {{other}}', at, 'UTC')).toBe(
      'No placeholders {{other}}',
    );
  });
});

describe('customNotificationRunner (user targets)', () => {
  const scheduledFor = new Date('2026-11-24T08:00:00Z');
  function context(parameters: Record<string, unknown>): JobContext {
    return {
      // The user-list target reads nothing: no Firestore is needed.
      deps: {
        db: undefined as unknown as Firestore,
        clock: new FixedClock('2026-11-24T08:00:05Z'),
      },
      logger: silentLogger,
      job: {
        id: 'job-1',
        taskType: 'custom_notification',
        schedule: '0 9 * * 1-5',
        timezone: 'Europe/Berlin',
        parameters,
        description: '',
        createdBy: 'admin',
      },
      scheduledFor,
      runId: scheduledFor.toISOString(),
      attempt: 1,
      trigger: 'schedule',
    };
  }
  function recorder(failFor: string[] = []): JobNotifier & { intents: NotificationIntent[] } {
    const intents: NotificationIntent[] = [];
    return {
      intents,
      notify: (intent) => {
        intents.push(intent);
        return failFor.includes(intent.recipientId)
          ? Promise.reject(new Error(`cannot reach ${intent.recipientId}`))
          : Promise.resolve({});
      },
      notifyTopic: (_topic: string, _content: PushContent) => Promise.resolve({}),
    };
  }

  it('builds one intent per distinct user, keyed on job, occurrence and user', async () => {
    const notifier = recorder();
    const result = await customNotificationRunner(() => notifier)(
      context({
        title: 'Standup {{time}}',
        body: 'See you on {{weekday}}',
        target: { userIds: ['u1', 'u2', 'u1'] },
        data: { room: 'blue' },
      }),
    );
    expect(result.itemsActedOn).toBe(2);
    expect(notifier.intents.map((i) => i.key).sort()).toEqual([
      'job-1:2026-11-24T08:00:00.000Z:u1',
      'job-1:2026-11-24T08:00:00.000Z:u2',
    ]);
    expect(notifier.intents[0]).toMatchObject({
      category: 'custom',
      title: 'Standup 09:00',
      body: 'See you on Tuesday',
      groupKey: 'job:job-1',
      data: { room: 'blue', jobId: 'job-1' },
    });
  });

  it('tries every recipient, then fails the run naming how many failed (the retry redelivers by key)', async () => {
    const notifier = recorder(['u2']);
    await expect(
      customNotificationRunner(() => notifier)(
        context({ title: 'T', body: 'B', target: { userIds: ['u1', 'u2', 'u3'] } }),
      ),
    ).rejects.toThrow('1 of 3 recipients failed: cannot reach u2');
    expect(notifier.intents).toHaveLength(3);
  });

  it('parameters that no longer validate are a permanent failure', async () => {
    await expect(
      customNotificationRunner(() => recorder())(context({ title: 'T' })),
    ).rejects.toBeInstanceOf(PermanentJobError);
  });
});
