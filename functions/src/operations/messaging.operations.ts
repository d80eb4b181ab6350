import { z } from 'zod';
import { AppError } from '../core/errors';
import { defineOperation, requireCaller } from '../core/operation';
import { FCM_TOPIC_PATTERN } from '../domain/notifications/channels';
import { notifierDeps } from '../domain/notifications/delivery.service';
import { BROADCAST_SHARD_SIZE } from '../domain/notifications/broadcast-plan';
import { getBroadcastJob, startBroadcast } from '../domain/notifications/broadcast.service';
import {
  notifyTaskAssignment,
  sendToToken,
  sendToTopic,
} from '../domain/notifications/messaging.service';
import { docId, isoInstant, uid } from '../domain/shared.schema';
import { success } from './fields';

// The public notification endpoints. Admin sends need the `admin` claim (and a fresh token);
// notify-task-assignment is for project members. Each answers `{success, messageId}`; REST keeps
// the public contract's `message_id` (and `batch_id`), see core/rest-names.ts.
const tags = ['messaging'];

/**
 * Most users one bulk send may list, delivered in the request's own process; a larger audience is
 * named (`audience`) and sent in shards of the same size through a task queue.
 */
export const MAX_BULK_RECIPIENTS = BROADCAST_SHARD_SIZE;

const title = z.string().trim().min(1).max(200);
const body = z.string().trim().min(1).max(2000);
/** FCM data payload: string values only, small (FCM caps the whole message at 4 KB). */
const data = z
  .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'keys are identifiers'), z.string())
  .refine((d) => Object.keys(d).length <= 20, 'at most 20 keys')
  .refine((d) => JSON.stringify(d).length <= 2048, 'at most 2 KB')
  .optional()
  .meta({ example: { key: 'value' } });
const idempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/, '8–128 characters of A–Z a–z 0–9 . _ : -')
  .optional()
  .meta({ description: 'Repeat a request with the same key and nothing is sent twice' });
const sendResult = z.object({ success, messageId: z.string() });
const messageIdOnRest = { messageId: 'message_id' };

export const sendNotificationOp = defineOperation({
  name: 'sendNotification',
  sendsNotifications: true,
  summary: 'Send a push notification to one device token (admin)',
  description:
    'A token FCM reports as unregistered is removed from its device (422). Transient FCM ' +
    'failures answer 503; retry with the same `idempotencyKey`.',
  access: 'admin',
  http: { method: 'post', path: '/send-notification', tags },
  input: z.strictObject({
    token: z.string().min(16).max(4096),
    title,
    body,
    data,
    idempotencyKey,
  }),
  restNames: messageIdOnRest,
  output: sendResult,
  async handler(input, ctx) {
    const { messageId } = await sendToToken(
      notifierDeps(ctx.deps, ctx.logger),
      input,
      ctx.requestId,
    );
    return { success: true as const, messageId };
  },
});

export const sendTopicNotificationOp = defineOperation({
  name: 'sendTopicNotification',
  sendsNotifications: true,
  summary: 'Send a push notification to every device subscribed to a topic (admin)',
  access: 'admin',
  http: { method: 'post', path: '/send-topic-notification', tags },
  input: z.strictObject({
    topic: z
      .string()
      .regex(FCM_TOPIC_PATTERN, 'must match FCM topic names [a-zA-Z0-9-_.~%]')
      .meta({ example: 'task-reminders' }),
    title,
    body,
    data,
    idempotencyKey,
  }),
  restNames: messageIdOnRest,
  output: sendResult,
  async handler(input, ctx) {
    const { messageId } = await sendToTopic(
      notifierDeps(ctx.deps, ctx.logger),
      input,
      ctx.requestId,
    );
    return { success: true as const, messageId };
  },
});

const counts = z.record(z.string(), z.number().int().min(0));

const jobProgress = {
  total: z.number().int().min(0),
  sent: z.number().int().min(0),
  skipped: z.number().int().min(0),
  failed: z.number().int().min(0),
  done: z.boolean(),
  shardsDone: z.number().int().min(0),
  shardsTotal: z.number().int().min(0).nullable(),
};

export const sendBulkNotificationOp = defineOperation({
  name: 'sendBulkNotification',
  sendsNotifications: true,
  summary: `Send an announcement to up to ${MAX_BULK_RECIPIENTS} listed users, or to every user (admin)`,
  description:
    'Each recipient gets an inbox item, and a push and an email as their preferences allow ' +
    '(push is held during their quiet hours). Give either `userIds` (at most ' +
    `${MAX_BULK_RECIPIENTS}, delivered before the answer) or \`audience: "allUsers"\` (every user ` +
    `with a profile: the answer comes at once with \`queued: true\`, and shards of ${MAX_BULK_RECIPIENTS} ` +
    'recipients are sent through a task queue; poll `GET /broadcasts/{jobId}`). Outcome counts per ' +
    'channel (listed users): `created`, `sent`, `held`, `duplicate`, `skipped:<reason>`, ' +
    '`retrying`, `failed`. Repeating the request with the same `idempotencyKey` sends nothing ' +
    'twice and answers the same `jobId`.',
  access: 'admin',
  http: { method: 'post', path: '/send-bulk-notification', tags },
  // Exactly one of userIds and audience: checked by the handler (REST renames fields of this
  // schema, which a zod refinement would not survive).
  input: z.strictObject({
    userIds: z.array(uid).min(1).max(MAX_BULK_RECIPIENTS).optional(),
    audience: z
      .enum(['allUsers'])
      .optional()
      .meta({ description: 'Instead of `userIds`: every user with a profile, sent in shards' }),
    title,
    body,
    data,
    channels: z
      .strictObject({ inbox: z.boolean(), push: z.boolean(), email: z.boolean() })
      .partial()
      .optional()
      .meta({ description: 'Channels to use (default: all three)' }),
    idempotencyKey,
  }),
  restNames: { batchId: 'batch_id', jobId: 'job_id' },
  output: z.object({
    success,
    batchId: z.string(),
    jobId: z.string(),
    queued: z.boolean(),
    recipients: z.number().int(),
    inbox: counts,
    push: counts,
    email: counts,
  }),
  async handler(input, ctx) {
    const { userIds, audience, ...content } = input;
    if (userIds === undefined && audience === undefined)
      throw AppError.validation([
        { field: 'userIds', message: 'give userIds, or audience "allUsers"' },
      ]);
    if (userIds !== undefined && audience !== undefined)
      throw AppError.validation([
        { field: 'audience', message: 'give userIds or audience, not both' },
      ]);
    const started = await startBroadcast(
      notifierDeps(ctx.deps, ctx.logger),
      {
        ...content,
        audience:
          userIds === undefined ? { kind: audience ?? 'allUsers' } : { kind: 'userIds', userIds },
      },
      { requestId: ctx.requestId, createdBy: ctx.caller?.uid ?? null },
      ctx.deps.broadcastQueue,
    );
    return {
      success: true as const,
      batchId: started.batchId,
      jobId: started.jobId,
      queued: started.queued,
      recipients: started.report?.recipients ?? started.progress.total,
      inbox: started.report?.inbox ?? {},
      push: started.report?.push ?? {},
      email: started.report?.email ?? {},
    };
  },
});

export const getBroadcastJobOp = defineOperation({
  name: 'getBroadcastJob',
  summary: 'Progress of a bulk send (admin)',
  description:
    '`total` recipients (counted when the send started; exact once `done`), how many were ' +
    '`sent` (a channel reached them), `skipped` (no profile, or every channel off) and `failed`, ' +
    'and the shards done of `shardsTotal` (known once the last shard has run).',
  access: 'admin',
  http: { method: 'get', path: '/broadcasts/:jobId', tags },
  input: z.strictObject({
    jobId: z
      .string()
      .regex(/^bj_[0-9a-f]{40}$/, 'a job id as returned by the bulk send (bj_ + 40 hex digits)'),
  }),
  output: z.object({
    jobId: z.string(),
    batchId: z.string(),
    audience: z.enum(['userIds', 'allUsers']),
    createdAt: z.string(),
    ...jobProgress,
  }),
  async handler(input, ctx) {
    const job = await getBroadcastJob(ctx.deps.db, input.jobId);
    return {
      jobId: job.jobId,
      batchId: job.batchId,
      audience: job.audience,
      createdAt: job.createdAt,
      ...job.progress,
    };
  },
});

export const notifyTaskAssignmentOp = defineOperation({
  name: 'notifyTaskAssignment',
  sendsNotifications: true,
  summary: 'Notify the assignee of a task (project members)',
  description:
    'The task must be assigned to `assigneeId`, both users members of the project. The notice ' +
    'is the one the task trigger sends for that assignment, so calling this after assigning ' +
    'never notifies twice. `messageId` (REST: `message_id`) is the inbox notification id. `taskTitle` and ' +
    '`dueDate` are accepted for compatibility with older clients; the stored task wins.',
  access: 'user',
  http: { method: 'post', path: '/notify-task-assignment', tags },
  input: z.strictObject({
    assigneeId: uid,
    taskId: docId,
    projectId: docId,
    taskTitle: z.string().max(200).optional(),
    dueDate: isoInstant.optional(),
  }),
  restNames: messageIdOnRest,
  output: sendResult,
  async handler(input, ctx) {
    const result = await notifyTaskAssignment(
      notifierDeps(ctx.deps, ctx.logger),
      requireCaller(ctx),
      input,
    );
    ctx.logger.info('Task assignment notified', { taskId: input.taskId, ...result });
    return { success: true as const, messageId: result.messageId };
  },
});
