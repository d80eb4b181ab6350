import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { FCM_TOPIC_PATTERN } from '../notifications/channels';
import { docId, isoInstant, uid } from '../shared.schema';
import { timeZoneSchema } from '../tasks/task.schema';

/**
 * Run history (and send claims) is kept this many days: `expireAt` for the Firestore TTL policy,
 * and the cutoff of the cleanup sweep that backs it up. One constant, not a param, so the run-now
 * endpoint and the dispatcher write the same expiry.
 */
export const RUN_RETENTION_DAYS = 30;

/** Every job type the product knows. */
export const JOB_TYPES = [
  'daily_summary',
  'weekly_summary',
  'overdue_check',
  'reminder_sweep',
  'custom_notification',
] as const;
export type TaskType = (typeof JOB_TYPES)[number];

/**
 * The types the API accepts: those with a runner in `productionJobRunners` (job-runners.service.ts),
 * so that no job is created that could never run. A type joins this list in the same change
 * that adds its runner (a unit test checks the two agree).
 */
export const SUPPORTED_JOB_TYPES = [
  'custom_notification',
  'reminder_sweep',
  'overdue_check',
  'daily_summary',
  'weekly_summary',
] as const satisfies readonly TaskType[];

const optionalZone = timeZoneSchema.optional();

/** FCM topic names (what `admin.messaging().send({topic})` accepts). */
const topicName = z
  .string()
  .regex(FCM_TOPIC_PATTERN, 'must be an FCM topic name (letters, digits, -_.~%)');

/** Keys FCM reserves in `data`, plus the ones the engine sets itself. */
const RESERVED_DATA_KEY =
  /^(from|notification|message_type|type|jobId|taskId|projectId|google.*|gcm.*)$/i;

/**
 * `custom_notification`: a templated notification to users, a topic or a project's members.
 * `{{date}}`, `{{time}}` and `{{weekday}}` in title and body become the run's scheduled time in
 * the job's zone.
 */
export const customNotificationParamsSchema = z.strictObject({
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(2000),
  target: z
    .strictObject({
      userIds: z.array(uid).min(1).max(500).optional(),
      topic: topicName.optional(),
      projectId: docId.optional(),
    })
    .refine(
      (t) => [t.userIds, t.topic, t.projectId].filter((v) => v !== undefined).length === 1,
      'must name exactly one of userIds, topic or projectId',
    ),
  data: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_]{0,39}$/, 'keys are identifiers')
        .refine((k) => !RESERVED_DATA_KEY.test(k), 'is a reserved key'),
      z.string().max(500),
    )
    .refine((d) => Object.keys(d).length <= 10, 'at most 10 keys')
    .optional(),
  channels: z
    .strictObject({
      inbox: z.boolean().optional(),
      push: z.boolean().optional(),
      email: z.boolean().optional(),
    })
    .optional(),
  timezone: optionalZone,
});
export type CustomNotificationParams = z.infer<typeof customNotificationParamsSchema>;

/**
 * Parameters of each type. Only the supported types are reachable through the API; the others
 * are the shapes of the public contract (`{userId, timezone}`) for when their runners land.
 */
export const JOB_PARAMETER_SCHEMAS: Readonly<Record<TaskType, z.ZodType>> = {
  daily_summary: z.strictObject({ userId: uid, timezone: optionalZone }),
  weekly_summary: z.strictObject({ userId: uid, timezone: optionalZone }),
  overdue_check: z.strictObject({ timezone: optionalZone }),
  reminder_sweep: z.strictObject({ timezone: optionalZone }),
  custom_notification: customNotificationParamsSchema,
};

export type RunStatus = 'running' | 'success' | 'failed';
export type RunTrigger = 'schedule' | 'manual';

/** One attempt of one run: what the run document is called and what it is for. */
export interface AttemptRef {
  /** Document id under `runs/`: the scheduled time (ISO), `manual-<request>`, `…#retryN`. */
  runId: string;
  /** The run id of attempt 1; retries of it share its `scheduledFor`. */
  baseRunId: string;
  attempt: number;
  scheduledFor: Timestamp;
  trigger: RunTrigger;
  requestedBy: string | null;
}

/** `scheduledJobs/{id}` as stored (the job's fields plus the dispatcher's bookkeeping). */
export interface ScheduledJobDoc {
  taskType: TaskType;
  schedule: string;
  timezone: string;
  parameters: Record<string, unknown>;
  description: string;
  enabled: boolean;
  /**
   * When the dispatcher should next look at the job: the next cron occurrence; the retry time
   * while a retry waits; the lease end while an attempt runs (so a crashed run is noticed).
   */
  nextRunAt: Timestamp | null;
  lastRunAt: Timestamp | null;
  lastStatus: 'success' | 'failed' | null;
  /** End of the last successful run; the health check compares it with the job's period. */
  lastSuccessAt: Timestamp | null;
  lastError: string | null;
  /** The attempt being run (claimed), if any. */
  inFlight: AttemptRef | null;
  /** The attempt to claim when `nextRunAt` passes, after a failure. */
  pendingRetry: AttemptRef | null;
  /** Occurrences skipped because the job ran late (outage): each late run counts the ticks it stood for. */
  missedRuns: number;
  createdBy: string;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** `scheduledJobs/{id}/runs/{runId}`. */
export interface JobRunDoc {
  jobId: string;
  taskType: TaskType;
  trigger: RunTrigger;
  attempt: number;
  baseRunId: string;
  scheduledFor: Timestamp;
  startedAt: Timestamp;
  endedAt: Timestamp | null;
  durationMs: number | null;
  status: RunStatus;
  error: string | null;
  /** Another attempt follows this failed one at `retryAt`. */
  willRetry: boolean;
  retryAt: Timestamp | null;
  /** Until then the claimant owns the run; after it, a dispatcher may give up on it and retry. */
  leaseUntil: Timestamp;
  missedRuns: number;
  itemsActedOn: number | null;
  documentsRead: number | null;
  detail: Record<string, unknown> | null;
  requestedBy: string | null;
  /** Firestore TTL (`runs.expireAt` in firestore.indexes.json). */
  expireAt: Timestamp;
}

// ---- API shapes --------------------------------------------------------------------------------

export const jobIdSchema = docId.meta({
  description: 'Scheduled job id',
  example: 'scheduled_task_123',
});

export const scheduledJobSchema = z
  .object({
    taskId: z.string(),
    taskType: z.enum(JOB_TYPES),
    schedule: z.string().meta({ example: '0 9 * * 1-5' }),
    timezone: z.string().meta({ example: 'Europe/Berlin' }),
    parameters: z.record(z.string(), z.unknown()),
    description: z.string(),
    enabled: z.boolean(),
    nextRun: isoInstant
      .nullable()
      .meta({ description: 'Next run (UTC); a pending retry when one waits; null when disabled' }),
    lastRun: isoInstant.nullable(),
    lastStatus: z.enum(['success', 'failed']).nullable(),
    lastSuccessAt: isoInstant.nullable(),
    lastError: z.string().nullable(),
    running: z.boolean(),
    retry: z.object({ attempt: z.number().int(), at: isoInstant }).nullable(),
    missedRuns: z.number().int(),
    createdBy: z.string(),
    createdAt: isoInstant,
    updatedAt: isoInstant,
  })
  .meta({ id: 'ScheduledJob' });
export type ScheduledJob = z.infer<typeof scheduledJobSchema>;

export const jobRunSchema = z
  .object({
    runId: z.string(),
    jobId: z.string(),
    trigger: z.enum(['schedule', 'manual']),
    attempt: z.number().int(),
    status: z.enum(['running', 'success', 'failed']),
    scheduledFor: isoInstant,
    startedAt: isoInstant,
    endedAt: isoInstant.nullable(),
    durationMs: z.number().nullable(),
    error: z.string().nullable(),
    willRetry: z.boolean(),
    retryAt: isoInstant.nullable(),
    missedRuns: z.number().int(),
    itemsActedOn: z.number().int().nullable(),
    documentsRead: z.number().int().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
    requestedBy: z.string().nullable(),
  })
  .meta({ id: 'ScheduledJobRun' });
export type JobRun = z.infer<typeof jobRunSchema>;
