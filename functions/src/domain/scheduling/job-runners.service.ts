import { createHash } from 'node:crypto';
import { Timestamp } from 'firebase-admin/firestore';
import { formatInTimeZone } from 'date-fns-tz';
import type { Logger } from '../../core/logger';
import type { Deps } from '../../core/operation';
import {
  deliverNotification,
  notifierDeps,
  type NotifierDeps,
} from '../notifications/delivery.service';
import { runOverdueSweep, runReminderSweep } from '../reminders/reminder-sweeps.service';
import { type SweepOptions, type SweepReport } from '../reminders/reminder-sweep-report';
import { sendUserDigest } from '../digests/digest-send.service';
import { localDateOf, safeZone } from '../../core/time-zone';
import {
  RUN_RETENTION_DAYS,
  SUPPORTED_JOB_TYPES,
  JOB_PARAMETER_SCHEMAS,
  customNotificationParamsSchema,
  type TaskType,
} from './job.schema';
import {
  PermanentJobError,
  type JobNotifier,
  type JobRunner,
  type JobRunners,
  type SchedulingDeps,
} from './runner';
import { USERS, SCHEDULED_JOBS, SENDS } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import { projectRef } from '../../storage/refs';

/**
 * A user-defined job that runs one of the built-in sweeps now (e.g. an extra overdue check before
 * a weekly meeting). The sweep reads only due tasks and its deliveries are keyed per task, due date
 * and recipient, so running it more often than its own schedule never notifies twice.
 */
function sweepRunner(
  sweep: (deps: NotifierDeps, options: SweepOptions) => Promise<SweepReport>,
): JobRunner<Deps> {
  return async ({ deps, logger }) => {
    const report = await sweep(notifierDeps(deps, logger), {});
    if (report.failures > 0 && report.acted === 0)
      throw new Error(`${report.job} sweep: ${report.failures} tasks failed`);
    return {
      itemsActedOn: report.acted,
      documentsRead: report.documentsRead,
      detail: {
        tasksRead: report.tasksRead,
        duplicates: report.duplicates,
        failures: report.failures,
        complete: report.complete,
      },
    };
  };
}

/**
 * A user-defined summary job (`{taskType: daily_summary, parameters: {userId,
 * timezone}}`): sends that user's digest for the job's local date now, through the digest module.
 * The digest is keyed per user, period and local date (ISO week for weekly), so a job and the
 * user's own digest hour never send two for the same day, and a retried run sends nothing twice.
 */
function summaryRunner(period: 'daily' | 'weekly'): JobRunner<Deps> {
  return async ({ deps, logger, job, scheduledFor }) => {
    const params = JOB_PARAMETER_SCHEMAS[job.taskType].safeParse(job.parameters);
    if (!params.success) throw new PermanentJobError(`parameters: ${params.error.message}`);
    const { userId } = params.data as { userId: string };
    const profile = await deps.db.collection(USERS).doc(userId).get();
    if (!profile.exists) throw new PermanentJobError(`user ${userId} not found`);
    // The job's zone (its `timezone`, else `parameters.timezone`, else UTC) names the day.
    const localDate = localDateOf(scheduledFor, safeZone(job.timezone));
    const result = await sendUserDigest(notifierDeps(deps, logger), {
      uid: userId,
      period,
      localDate,
    });
    if (result.outcome === 'failed')
      throw new Error(`${period} summary failed: ${result.reason ?? ''}`);
    return {
      itemsActedOn: result.outcome === 'sent' ? 1 : 0,
      documentsRead: 1,
      detail: { userId, localDate, outcome: result.outcome, reason: result.reason },
    };
  };
}

/** Recipients notified at once by one run (each is a few reads and writes in the engine). */
const NOTIFY_CONCURRENCY = 10;

/** `{{date}}`, `{{time}}`, `{{weekday}}` → the run's scheduled time in the job's zone. */
export function renderTemplate(text: string, at: Date, timeZone: string): string {
  return text.replace(/\{\{\s*(date|time|weekday)\s*\}\}/g, (_m, name: string) => {
    if (name === 'date') return formatInTimeZone(at, timeZone, 'yyyy-MM-dd');
    if (name === 'time') return formatInTimeZone(at, timeZone, 'HH:mm');
    return formatInTimeZone(at, timeZone, 'EEEE');
  });
}

async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (e) {
        errors.push(e);
      }
    }
  });
  await Promise.all(lanes);
  return errors;
}

/**
 * `custom_notification`: the job's title and body (templated with the run's local date/time) to
 * a list of users, a project's members (read when the run starts) or an FCM topic.
 *
 * Exactly once per occurrence across retries: each recipient's intent has the key
 * `${jobId}:${scheduledFor ISO}:${userId}`, which the engine delivers once; a topic send is
 * claimed first with `create()` of `scheduledJobs/{id}/sends/{hash}` (released again when the
 * send fails, so the retry sends; a crash between claim and send loses that one send rather than
 * doubling it). One failed recipient fails the run after the others were tried; the retry
 * redelivers only what is missing, by key.
 */
export function customNotificationRunner<D extends SchedulingDeps>(
  notifierFor: (deps: D, logger: Logger) => JobNotifier,
): JobRunner<D> {
  return async ({ deps, logger, job, scheduledFor }) => {
    const parsed = customNotificationParamsSchema.safeParse(job.parameters);
    if (!parsed.success) throw new PermanentJobError(`parameters: ${parsed.error.message}`);
    const p = parsed.data;
    const title = renderTemplate(p.title, scheduledFor, job.timezone);
    const body = renderTemplate(p.body, scheduledFor, job.timezone);
    const occurrence = scheduledFor.toISOString();
    const groupKey = `job:${job.id}`;
    const data = { ...(p.data ?? {}), jobId: job.id };
    const notifier = notifierFor(deps, logger);

    if (p.target.topic !== undefined) {
      const key = `${job.id}:${occurrence}:topic:${p.target.topic}`;
      const claim = deps.db
        .collection(SCHEDULED_JOBS)
        .doc(job.id)
        .collection(SENDS)
        .doc(createHash('sha256').update(key).digest('hex').slice(0, 40));
      const now = deps.clock.now().getTime();
      try {
        await claim.create({
          key,
          createdAt: Timestamp.fromMillis(now),
          expireAt: Timestamp.fromMillis(now + RUN_RETENTION_DAYS * 86_400_000),
        });
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        return { itemsActedOn: 0, detail: { topic: p.target.topic, alreadySent: true } };
      }
      try {
        await notifier.notifyTopic(p.target.topic, {
          title,
          body,
          category: 'custom',
          data,
          groupKey,
        });
      } catch (e) {
        await claim.delete();
        throw e;
      }
      return { itemsActedOn: 1, detail: { topic: p.target.topic } };
    }

    let recipients: string[];
    let documentsRead = 0;
    if (p.target.projectId !== undefined) {
      const project = (await projectRef(deps.db, p.target.projectId).get()).data();
      documentsRead++;
      if (project === undefined) {
        throw new PermanentJobError(`project ${p.target.projectId} not found`);
      }
      recipients = project.members;
    } else {
      recipients = p.target.userIds ?? [];
    }
    recipients = [...new Set(recipients)];
    const errors = await eachLimited(recipients, NOTIFY_CONCURRENCY, async (userId) => {
      await notifier.notify({
        key: `${job.id}:${occurrence}:${userId}`,
        recipientId: userId,
        category: 'custom',
        title,
        body,
        groupKey,
        data,
        channels: p.channels,
      });
    });
    if (errors.length > 0) {
      const first = errors[0];
      throw new Error(
        `${errors.length} of ${recipients.length} recipients failed: ` +
          (first instanceof Error ? first.message : String(first)),
      );
    }
    return {
      itemsActedOn: recipients.length,
      documentsRead,
      detail: {
        recipients: recipients.length,
        ...(p.target.projectId === undefined ? {} : { projectId: p.target.projectId }),
      },
    };
  };
}

/** Production notifier: the notification engine, and the messenger for topics. */
export function engineJobNotifier(deps: Deps, logger: Logger): JobNotifier {
  return {
    notify: (intent) => deliverNotification(notifierDeps(deps, logger), intent),
    notifyTopic: (topic, content) => deps.messenger.sendToTopic(topic, content),
  };
}

/**
 * The runners deployed, by type; exactly the {@link SUPPORTED_JOB_TYPES} (a unit test checks it).
 * The summaries, overdue check and reminder sweep join here with their runners.
 */
export function productionJobRunners(): JobRunners<Deps> {
  const runners: Record<(typeof SUPPORTED_JOB_TYPES)[number], JobRunner<Deps>> = {
    custom_notification: customNotificationRunner<Deps>(engineJobNotifier),
    reminder_sweep: sweepRunner(runReminderSweep),
    overdue_check: sweepRunner(runOverdueSweep),
    daily_summary: summaryRunner('daily'),
    weekly_summary: summaryRunner('weekly'),
  };
  return runners satisfies Partial<Record<TaskType, JobRunner<Deps>>>;
}
