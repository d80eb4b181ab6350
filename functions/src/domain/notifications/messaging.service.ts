import { createHash } from 'node:crypto';
import { Timestamp } from 'firebase-admin/firestore';
import { AppError } from '../../core/errors';
import type { Caller } from '../../core/operation';
import { loadProjectFor } from '../projects/project.service';
import { tokenKey, unregisterDevice } from '../users/devices.service';
import { DeliveryError, type PushContent } from './channels';
import {
  FINISHED_RETENTION_DAYS,
  deliverNotification,
  loadRecipient,
  type ChannelOutcome,
  type NotifierDeps,
} from './delivery.service';
import { taskIntent } from './task-notifier.service';
import type { OutcomeCounts } from './broadcast-plan';
import { startBroadcast } from './broadcast.service';
import { currentAssignmentVersion } from './task-assignment.service';
import { directSendRef, taskRef, tokenOwnerDocs } from '../../storage/refs';
import { isAlreadyExists } from '../../storage/already-exists';

/**
 * Admin sends (send-notification to a raw token, send-topic-notification, bulk) and the
 * explicit task-assignment notice. Raw-token and topic sends go straight to FCM — there is no
 * recipient profile to consult — but still leave a delivery record, keyed by the caller's
 * idempotency key when given, so a retried request answers the first send's message id instead of
 * sending again.
 */

export interface DirectPush {
  title: string;
  body: string;
  data?: Record<string, string> | undefined;
  /** Same key → same send (a client retry answers the first message id). */
  idempotencyKey?: string | undefined;
}

/**
 * How long a claimed send may stay "sending" before a retry may take it over (an instance that
 * crashed between the claim and the record). Far above one FCM call.
 */
const SEND_LEASE_MS = 60_000;

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 40);
}

/** Maps a provider failure of a synchronous send to the REST/callable error the client sees. */
function sendError(e: DeliveryError): AppError {
  if (e.kind === 'transient')
    return new AppError('UNAVAILABLE', 'The push service is unavailable; try again later', {
      provider: e.code,
    });
  if (e.kind === 'unregistered')
    return new AppError('UNPROCESSABLE_ENTITY', 'The device token is not registered with FCM', {
      provider: e.code,
    });
  return new AppError(
    'UNPROCESSABLE_ENTITY',
    `The push service rejected the message: ${e.message}`,
    {
      provider: e.code,
    },
  );
}

/**
 * Runs `send` once per idempotency key, recording it in `deliveries/{id}`. A repeated key answers
 * the recorded message id; a key whose first send failed may be sent again.
 */
async function recordedSend(
  deps: NotifierDeps,
  id: string,
  record: Record<string, unknown>,
  send: () => Promise<string>,
): Promise<string> {
  const ref = directSendRef(deps.db, id);
  const nowMs = deps.clock.now().getTime();
  const now = Timestamp.fromMillis(nowMs);
  const leaseUntil = Timestamp.fromMillis(nowMs + SEND_LEASE_MS);
  try {
    await ref.create({
      ...record,
      status: 'sending',
      attempts: 0,
      leaseUntil,
      createdAt: now,
      updatedAt: now,
    });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    // Claim it again in one transaction: a failed send may be retried, and so may one left
    // "sending" by an instance that crashed once its lease has expired; a live one is a conflict.
    const sent = await deps.db.runTransaction(async (tx) => {
      const existing = (await tx.get(ref)).data();
      if (existing?.status === 'sent' && typeof existing.providerMessageId === 'string') {
        return existing.providerMessageId;
      }
      if (existing?.status === 'sending') {
        const lease =
          existing.leaseUntil?.toMillis() ?? existing.updatedAt.toMillis() + SEND_LEASE_MS;
        if (lease > nowMs) {
          throw new AppError(
            'CONFLICT',
            'This send is already in progress',
            undefined,
            Math.ceil((lease - nowMs) / 1000),
          );
        }
      }
      tx.update(ref, { status: 'sending', leaseUntil, updatedAt: now });
      return null;
    });
    if (sent !== null) return sent;
  }
  const attempts = async (): Promise<number> => ((await ref.get()).data()?.attempts ?? 0) + 1;
  try {
    const messageId = await send();
    const at = deps.clock.now();
    await ref.update({
      status: 'sent',
      providerMessageId: messageId,
      attempts: await attempts(),
      sentAt: Timestamp.fromDate(at),
      updatedAt: Timestamp.fromDate(at),
      finishedAt: Timestamp.fromDate(at),
      expireAt: Timestamp.fromMillis(at.getTime() + FINISHED_RETENTION_DAYS * 86_400_000),
      lastError: null,
    });
    return messageId;
  } catch (e) {
    const error =
      e instanceof DeliveryError
        ? e
        : new DeliveryError('transient', 'internal', e instanceof Error ? e.message : String(e));
    const at = deps.clock.now();
    await ref.update({
      status: 'failed',
      attempts: await attempts(),
      updatedAt: Timestamp.fromDate(at),
      finishedAt: Timestamp.fromDate(at),
      expireAt: Timestamp.fromMillis(at.getTime() + FINISHED_RETENTION_DAYS * 86_400_000),
      lastError: { kind: error.kind, code: error.code, message: error.message },
    });
    deps.logger.warn('Direct push failed', { deliveryId: id, code: error.code, kind: error.kind });
    throw sendError(error);
  }
}

function directContent(input: DirectPush, groupKey: string): PushContent {
  return {
    title: input.title,
    body: input.body,
    category: 'broadcast',
    data: input.data ?? {},
    groupKey,
  };
}

/** `POST /api/send-notification`: one push to one device token. A dead token is pruned (422). */
export async function sendToToken(
  deps: NotifierDeps,
  input: DirectPush & { token: string },
  requestId: string,
): Promise<{ messageId: string }> {
  const key = input.idempotencyKey ?? `request:${requestId}`;
  const owner = (await tokenOwnerDocs(deps.db).doc(tokenKey(input.token)).get()).data()?.uid;
  const messageId = await recordedSend(
    deps,
    `token_${hash(key)}`,
    {
      channel: 'push',
      target: 'token',
      // The token itself is a credential; the record names it by its index key.
      tokenKey: tokenKey(input.token),
      recipientId: owner ?? null,
      category: 'broadcast',
      intentKey: key,
      content: { title: input.title, body: input.body, data: input.data ?? {} },
    },
    async () => {
      const [result] = await deps.messenger.sendToTokens(
        [input.token],
        directContent(input, 'direct'),
      );
      if (result === undefined) throw new DeliveryError('transient', 'internal', 'No result');
      if (result.ok) return result.messageId;
      if (result.error.kind === 'unregistered' && owner !== undefined) {
        await unregisterDevice(deps.db, owner, { token: input.token });
        deps.logger.info('Pruned unregistered push token', { userId: owner });
      }
      throw result.error;
    },
  );
  return { messageId };
}

/** `POST /api/send-topic-notification`: one push to every device subscribed to `topic`. */
export async function sendToTopic(
  deps: NotifierDeps,
  input: DirectPush & { topic: string },
  requestId: string,
): Promise<{ messageId: string }> {
  const key = input.idempotencyKey ?? `request:${requestId}`;
  const messageId = await recordedSend(
    deps,
    `topic_${hash(key)}`,
    {
      channel: 'push',
      target: 'topic',
      topic: input.topic,
      recipientId: null,
      category: 'broadcast',
      intentKey: key,
      content: { title: input.title, body: input.body, data: input.data ?? {} },
    },
    async () =>
      (await deps.messenger.sendToTopic(input.topic, directContent(input, `topic:${input.topic}`)))
        .messageId,
  );
  return { messageId };
}

export interface BroadcastInput {
  userIds: readonly string[];
  title: string;
  body: string;
  data?: Record<string, string> | undefined;
  channels?: Partial<Record<'inbox' | 'push' | 'email', boolean>> | undefined;
  idempotencyKey?: string | undefined;
}

export type { OutcomeCounts } from './broadcast-plan';

export interface BroadcastReport {
  batchId: string;
  jobId: string;
  recipients: number;
  inbox: OutcomeCounts;
  push: OutcomeCounts;
  email: OutcomeCounts;
}

/**
 * One announcement to listed users (at most one shard), delivered in this process: each recipient
 * through the engine — inbox, push, email per their preferences — with `concurrency` recipients in
 * flight, recorded as a broadcast job (see broadcast.service.ts). Idempotent per (batch key,
 * user): repeating a batch sends nothing twice and reports the engine's duplicates.
 */
export async function broadcast(
  deps: NotifierDeps,
  input: BroadcastInput,
  requestId: string,
  options: { concurrency?: number } = {},
): Promise<BroadcastReport> {
  const started = await startBroadcast(
    deps,
    { ...input, audience: { kind: 'userIds', userIds: input.userIds } },
    { requestId, createdBy: null },
    undefined,
    options,
  );
  const report = started.report;
  return {
    batchId: started.batchId,
    jobId: started.jobId,
    recipients: report?.recipients ?? 0,
    inbox: report?.inbox ?? {},
    push: report?.push ?? {},
    email: report?.email ?? {},
  };
}

export interface TaskAssignmentNotice {
  assigneeId: string;
  taskId: string;
  projectId: string;
  taskTitle?: string | undefined;
  dueDate?: string | undefined;
}

/**
 * `POST /api/notify-task-assignment`: tells the assignee about the task's current assignment.
 * The caller and the assignee must be members of the task's project, and the task must be assigned
 * to that user. The notice has the same idempotency key as the one the task trigger sends for the
 * same write, so calling this after assigning never gives the assignee two. The stored title and
 * due date win over the request's (they may be stale).
 */
export async function notifyTaskAssignment(
  deps: NotifierDeps,
  caller: Caller,
  input: TaskAssignmentNotice,
): Promise<{ messageId: string; inbox: string; push: ChannelOutcome; email: ChannelOutcome }> {
  const project = await loadProjectFor(deps.db, input.projectId, caller);
  const task = (await taskRef(deps.db, input.taskId).get()).data();
  if (task === undefined || task.deletedAt !== null)
    throw AppError.notFound(`Task ${input.taskId} not found`);
  if (task.projectId !== input.projectId)
    throw AppError.validation([{ field: 'projectId', message: 'is not the project of this task' }]);
  if (!project.members.includes(input.assigneeId))
    throw new AppError('UNPROCESSABLE_ENTITY', 'The assignee is not a member of the project', {
      field: 'assigneeId',
    });
  if (task.assigneeId !== input.assigneeId)
    throw new AppError('UNPROCESSABLE_ENTITY', 'The task is not assigned to this user', {
      field: 'assigneeId',
    });
  if (input.assigneeId === caller.uid)
    throw new AppError('UNPROCESSABLE_ENTITY', 'Nobody is notified about their own assignment', {
      field: 'assigneeId',
    });
  const recipient = await loadRecipient(deps.db, input.assigneeId);
  if (!recipient.exists) throw AppError.notFound(`User ${input.assigneeId} not found`);
  const assignedAtMs = await currentAssignmentVersion(
    deps.db,
    input.taskId,
    input.assigneeId,
    task.updatedAt.toMillis(),
  );
  const intent = taskIntent(
    { kind: 'task_assigned', recipient: input.assigneeId },
    input.taskId,
    {
      title: task.title,
      projectId: task.projectId,
      createdBy: task.createdBy,
      updatedBy: task.updatedBy,
      assigneeId: task.assigneeId,
      status: task.status,
      deletedAt: task.deletedAt,
      updatedAtMs: task.updatedAt.toMillis(),
      dueDate: task.dueDate?.toDate() ?? null,
    },
    {
      updatedAtMs: assignedAtMs,
      eventId: `notify:${input.taskId}`,
      at: deps.clock.now(),
      publicBaseUrl: deps.settings.publicBaseUrl,
    },
  );
  const result = await deliverNotification(deps, intent, recipient);
  return { messageId: result.inboxId, inbox: result.inbox, push: result.push, email: result.email };
}
