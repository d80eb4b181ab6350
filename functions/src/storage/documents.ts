// One file on purpose: the zod schema of every stored collection, side by side, is the storage contract to read in one place.
import { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import type { ActivityDoc } from '../domain/analytics/activity.schema';
import type { DigestMarkerDoc, DigestScheduleDoc } from '../domain/digests/digest.schema';
import type { JobHealthDoc } from '../domain/health/job-health.service';
import type { InvitationDoc } from '../domain/invitations/invitation.schema';
import type { NotificationCategory } from '../domain/notifications/channels';
import type { DeliveryDoc } from '../domain/notifications/delivery-records.service';
import type { NotificationDoc } from '../domain/notifications/inbox.schema';
import type { ProjectDoc } from '../domain/projects/project.schema';
import { JOB_TYPES, type JobRunDoc, type ScheduledJobDoc } from '../domain/scheduling/job.schema';
import type { SweepErrorDoc } from '../domain/scheduling/sweep-errors.service';
import type { TaskSearchDoc } from '../domain/search/task-search.service';
import { DUE_MODES } from '../domain/tasks/recurrence-rule';
import { taskPrioritySchema, taskStatusSchema, type TaskDoc } from '../domain/tasks/task.schema';
import { workspaceRoleSchema, type WorkspaceDoc } from '../domain/workspaces/workspace.schema';

/**
 * The zod schema of every document the services read, each checked against the type the
 * services use (`satisfies z.ZodType<XDoc>`). Objects are loose: fields a schema does not name
 * (server bookkeeping, fields of a later version) are kept, never stripped. Documents clients may
 * write admit everything firestore.rules admit; where the rules let a field be absent, the schema
 * reads it as the value the services already treated a missing field as.
 */

const timestamp = z.instanceof(Timestamp);
const nullableTimestamp = timestamp.nullable();
const errorInfo = z.looseObject({ kind: z.string(), code: z.string(), message: z.string() });

// ---- Client-writable collections -----------------------------------------------------------------

/**
 * `tasks/{id}`. The rules let a client create a task without description, assignee, due date,
 * completion or recurrence: they read as '' and null. `updatedBy` is absent on tasks written before
 * it was kept: null (a server change).
 */
export const taskDocSchema = z.looseObject({
  title: z.string(),
  description: z.string().default(''),
  projectId: z.string(),
  workspaceId: z.string(),
  assigneeId: z.string().nullable().default(null),
  createdBy: z.string(),
  updatedBy: z.string().nullable().default(null),
  status: taskStatusSchema,
  priority: taskPrioritySchema,
  dueDate: nullableTimestamp.default(null),
  completedAt: nullableTimestamp.default(null),
  recurrence: z
    .looseObject({
      rule: z.string(),
      timezone: z.string(),
      dueMode: z.enum(DUE_MODES).optional(),
    })
    .nullable()
    .default(null),
  deletedAt: nullableTimestamp.default(null),
  createdAt: timestamp,
  updatedAt: timestamp,
}) satisfies z.ZodType<TaskDoc>;

/**
 * `projects/{id}`: a details edit may drop the description; old documents lack the timestamps.
 * Seeded documents may hold only members and workspace: no name ('') and no owner ('', nobody).
 */
export const projectDocSchema = z.looseObject({
  name: z.string().default(''),
  description: z.string().optional(),
  workspaceId: z.string(),
  ownerId: z.string().default(''),
  members: z.array(z.string()),
  createdAt: timestamp.optional(),
  updatedAt: timestamp.optional(),
}) satisfies z.ZodType<ProjectDoc>;

/**
 * `workspaces/{id}`: a details edit may drop the description; old documents lack the timestamps.
 * Seeded documents may lack name ('') and owner ('', nobody).
 */
export const workspaceDocSchema = z.looseObject({
  name: z.string().default(''),
  description: z.string().optional(),
  ownerId: z.string().default(''),
  members: z.array(z.string()),
  roles: z.record(z.string(), workspaceRoleSchema),
  createdAt: timestamp.optional(),
  updatedAt: timestamp.optional(),
}) satisfies z.ZodType<WorkspaceDoc>;

/** `users/{uid}/notifications/{id}`: the owner may only flip `read`. */
export const notificationDocSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  body: z.string(),
  taskId: z.string().nullable(),
  projectId: z.string().nullable(),
  read: z.boolean(),
  groupKey: z.string().nullable(),
  createdAt: timestamp,
  readAt: nullableTimestamp.optional(),
}) satisfies z.ZodType<NotificationDoc>;

/**
 * `users/{uid}/devices/{deviceId}`: one FCM token per device, written by its owner within the
 * rules (token, platform, lastSeenAt, createdAt) and by the server (`indexedAt`).
 */
export const deviceDocSchema = z.looseObject({
  token: z.string(),
  platform: z.enum(['ios', 'android', 'web']),
  lastSeenAt: timestamp,
  createdAt: timestamp,
  indexedAt: timestamp.optional(),
});
export type DeviceDoc = z.infer<typeof deviceDocSchema>;

// ---- Server-owned collections --------------------------------------------------------------------

export const invitationDocSchema = z.looseObject({
  workspaceId: z.string(),
  workspaceName: z.string(),
  email: z.string(),
  role: workspaceRoleSchema,
  status: z.enum(['pending', 'accepted', 'declined', 'revoked']),
  invitedBy: z.string(),
  inviterName: z.string().nullable(),
  inviteeId: z.string().nullable(),
  round: z.number(),
  createdAt: timestamp,
  updatedAt: timestamp,
  expiresAt: timestamp,
  respondedAt: nullableTimestamp,
  acceptedBy: z.string().nullable(),
}) satisfies z.ZodType<InvitationDoc>;

/** `activity/{id}`: one event, written once by the server (client events and task triggers). */
export const activityDocSchema = z.looseObject({
  userId: z.string(),
  eventType: z.string(),
  eventData: z.record(z.string(), z.unknown()),
  timestamp,
  source: z.enum(['client', 'trigger']),
  localDate: z.string(),
  expireAt: timestamp,
  clientEventId: z.string().optional(),
  triggerEventId: z.string().optional(),
}) satisfies z.ZodType<ActivityDoc>;

/** `invitations/{id}/emails/r{round}`: the claim of one invitation email, then its outcome. */
export const invitationEmailDocSchema = z.looseObject({
  status: z.enum(['sending', 'sent', 'failed', 'skipped']),
  to: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
  providerMessageId: z.string().optional(),
  lastError: z.string().optional(),
  reason: z.string().optional(),
});
export type InvitationEmailDoc = z.infer<typeof invitationEmailDocSchema>;

/** `deviceTokens/{hash(token)}`: the one device that holds a token. */
export const tokenOwnerDocSchema = z.looseObject({ uid: z.string(), deviceId: z.string() });
export type TokenOwnerDoc = z.infer<typeof tokenOwnerDocSchema>;

export const taskSearchDocSchema = z.looseObject({
  projectId: z.string(),
  workspaceId: z.string(),
  assigneeId: z.string().nullable(),
  deleted: z.boolean(),
  tokens: z.array(z.string()),
  indexedAt: timestamp,
}) satisfies z.ZodType<TaskSearchDoc>;

/** `taskAssignments/{taskId}`: who the task is assigned to, since which write (ms). */
export const assignmentDocSchema = z.looseObject({
  assigneeId: z.string().nullable(),
  sinceMs: z.number(),
});
export type AssignmentDoc = z.infer<typeof assignmentDocSchema>;

/**
 * `taskSchedules/{taskId}`: the server's bookkeeping of one task's deadlines and recurrence, each
 * group written by its own module (absent until then; null when cleared):
 * - reminders (reminders/reminder-plan.ts): `nextReminderAt`, when the reminder sweep must next
 *   look at the task; `reminders`, the lead times (minutes) still to send and already sent for one
 *   due date and assignee; `overdueCheckAt`, when the overdue sweep must next look; `overdueNotice`,
 *   the day of the last overdue notice sent for one due date and assignee;
 * - recurrence (tasks/recurrence.service.ts): `recurrenceNextAt`, when the on_due sweep must spawn the
 *   next occurrence; `recurrenceNextId`, the occurrence already spawned from this task;
 *   `recurrenceDeferredDue`, the due date a deferred series was armed for.
 * The `…At` instants are top-level so each sweep reads only what is due with one range query.
 */
export const taskScheduleDocSchema = z.looseObject({
  nextReminderAt: nullableTimestamp.optional(),
  reminders: z
    .looseObject({
      dueAt: timestamp,
      assigneeId: z.string(),
      pending: z.array(z.number()),
      sent: z.array(z.number()),
    })
    .nullable()
    .optional(),
  overdueCheckAt: nullableTimestamp.optional(),
  overdueNotice: z
    .looseObject({ dueAt: timestamp, assigneeId: z.string(), lastDay: z.number() })
    .nullable()
    .optional(),
  recurrenceNextAt: nullableTimestamp.optional(),
  recurrenceNextId: z.string().nullable().optional(),
  recurrenceDeferredDue: nullableTimestamp.optional(),
});
export type TaskScheduleDoc = z.infer<typeof taskScheduleDocSchema>;

/** `memberRemovals/{workspaceId}_{userId}`: the projects whose tasks are still to unassign. */
export const memberRemovalDocSchema = z.looseObject({
  workspaceId: z.string(),
  userId: z.string(),
  projectIds: z.array(z.string()),
  createdAt: timestamp,
});
export type MemberRemovalDoc = z.infer<typeof memberRemovalDocSchema>;

/** `backfills/{name}`: a resumable backfill's progress. */
export const backfillCheckpointDocSchema = z.looseObject({
  /** The last user finished; the run resumes after it. null: from the start. */
  cursor: z.string().nullable(),
  usersDone: z.number(),
  startedAt: timestamp,
  updatedAt: timestamp,
  finishedAt: nullableTimestamp,
});
export type BackfillCheckpointDoc = z.infer<typeof backfillCheckpointDocSchema>;

export const digestScheduleDocSchema = z.looseObject({
  uid: z.string(),
  period: z.enum(['daily', 'weekly']),
  nextAt: nullableTimestamp,
  localDate: z.string().nullable(),
  lastLocalDate: z.string().nullable(),
  timezone: z.string(),
  hour: z.number(),
  weekday: z.number(),
  enabled: z.boolean(),
  updatedAt: timestamp,
}) satisfies z.ZodType<DigestScheduleDoc>;

/** `digests/{uid}_{period}_{key}`: the claim of one digest, then what became of it. */
export const digestMarkerDocSchema = z.looseObject({
  uid: z.string(),
  period: z.enum(['daily', 'weekly']),
  localDate: z.string(),
  key: z.string(),
  status: z.enum(['building', 'sent', 'skipped', 'failed']),
  reason: z.string().nullable(),
  email: z.string().nullable(),
  attempts: z.number(),
  figures: z
    .looseObject({
      completed: z.number(),
      previousCompleted: z.number(),
      changePercent: z.number().nullable(),
      upcoming: z.number(),
      overdue: z.number(),
    })
    .nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  expireAt: timestamp,
}) satisfies z.ZodType<DigestMarkerDoc>;

const deliveryStatus = z.enum(['pending', 'sending', 'sent', 'failed', 'skipped']);
const channelState = z.looseObject({
  status: deliveryStatus,
  dueAt: timestamp,
  heldReason: z.enum(['coalescing', 'quiet_hours', 'retry']).nullable(),
  attempts: z.number(),
  leaseUntil: nullableTimestamp,
  sentAt: nullableTimestamp,
  lastError: errorInfo.nullable(),
  providerMessageId: z.string().nullable(),
  coalescedInto: z.string().nullable(),
  coalescedCount: z.number(),
  skipReason: z.string().nullable(),
  devices: z
    .looseObject({ tokens: z.number(), sent: z.number(), failed: z.number(), pruned: z.number() })
    .nullable(),
});
const NOTIFICATION_CATEGORIES = [
  'task_assigned',
  'task_unassigned',
  'task_status_changed',
  'task_completed',
  'task_due_soon',
  'task_overdue',
  'daily_summary',
  'weekly_summary',
  'broadcast',
  'custom',
  'workspace_invitation',
] as const satisfies readonly NotificationCategory[];

export const deliveryDocSchema = z.looseObject({
  recipientId: z.string(),
  category: z.enum(NOTIFICATION_CATEGORIES),
  groupKey: z.string(),
  intentKey: z.string(),
  channels: z.array(z.enum(['push', 'email'])),
  push: channelState.nullable(),
  email: channelState.nullable(),
  status: deliveryStatus,
  dueAt: timestamp,
  leaseUntil: nullableTimestamp,
  version: z.number(),
  content: z.looseObject({
    title: z.string(),
    body: z.string(),
    subject: z.string().nullable(),
    taskId: z.string().nullable(),
    projectId: z.string().nullable(),
    data: z.record(z.string(), z.string()),
    email: z.string().nullable(),
  }),
  createdAt: timestamp,
  updatedAt: timestamp,
  finishedAt: nullableTimestamp,
  expireAt: nullableTimestamp,
}) satisfies z.ZodType<DeliveryDoc>;

/** `deliveries/{id}/claims/v{version}`: the claim of one release attempt of a delivery. */
export const deliveryClaimDocSchema = z.looseObject({ claimedAt: timestamp, version: z.number() });
export type DeliveryClaimDoc = z.infer<typeof deliveryClaimDocSchema>;

/**
 * `deliveries/{channel}_{hash(key)}` of a direct push (to one token or a topic): not an engine
 * record — its own claim (`sending` under a lease), then `sent` with the message id or `failed`.
 */
export const directSendDocSchema = z.looseObject({
  status: z.enum(['sending', 'sent', 'failed']),
  attempts: z.number(),
  leaseUntil: timestamp.optional(),
  providerMessageId: z.string().nullable().optional(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type DirectSendDoc = z.infer<typeof directSendDocSchema>;

const attemptRef = z.looseObject({
  runId: z.string(),
  baseRunId: z.string(),
  attempt: z.number(),
  scheduledFor: timestamp,
  trigger: z.enum(['schedule', 'manual']),
  requestedBy: z.string().nullable(),
});

export const scheduledJobDocSchema = z.looseObject({
  taskType: z.enum(JOB_TYPES),
  schedule: z.string(),
  timezone: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  description: z.string(),
  enabled: z.boolean(),
  nextRunAt: nullableTimestamp,
  lastRunAt: nullableTimestamp,
  lastStatus: z.enum(['success', 'failed']).nullable(),
  lastSuccessAt: nullableTimestamp,
  lastError: z.string().nullable(),
  inFlight: attemptRef.nullable(),
  pendingRetry: attemptRef.nullable(),
  missedRuns: z.number(),
  createdBy: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
}) satisfies z.ZodType<ScheduledJobDoc>;

export const jobRunDocSchema = z.looseObject({
  jobId: z.string(),
  taskType: z.enum(JOB_TYPES),
  trigger: z.enum(['schedule', 'manual']),
  attempt: z.number(),
  baseRunId: z.string(),
  scheduledFor: timestamp,
  startedAt: timestamp,
  endedAt: nullableTimestamp,
  durationMs: z.number().nullable(),
  status: z.enum(['running', 'success', 'failed']),
  error: z.string().nullable(),
  willRetry: z.boolean(),
  retryAt: nullableTimestamp,
  leaseUntil: timestamp,
  missedRuns: z.number(),
  itemsActedOn: z.number().nullable(),
  documentsRead: z.number().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
  requestedBy: z.string().nullable(),
  expireAt: timestamp,
}) satisfies z.ZodType<JobRunDoc>;

export const sweepErrorDocSchema = z.looseObject({
  sweep: z.string(),
  path: z.string(),
  error: z.string(),
  attempts: z.number(),
  quarantined: z.boolean(),
  firstAt: timestamp,
  lastAt: timestamp,
}) satisfies z.ZodType<SweepErrorDoc>;

/**
 * `jobHealth/{name}`: each field as the last run left it; read field by field (merged with the
 * sweep records), so every field may be absent.
 */
export const jobHealthDocSchema = z
  .looseObject({
    periodSeconds: z.number(),
    lastRunAt: timestamp,
    lastStatus: z.enum(['ok', 'failed']),
    lastSuccessAt: timestamp,
    lastError: z.string(),
    lastSummary: z.record(z.string(), z.unknown()),
  })
  .partial() satisfies z.ZodType<Partial<JobHealthDoc>>;
