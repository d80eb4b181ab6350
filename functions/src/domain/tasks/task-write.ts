import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import type { Logger } from '../../core/logger';
import type { Deps } from '../../core/operation';
import { docId } from '../shared.schema';
import { DUE_MODES } from './recurrence-rule';
import { taskPrioritySchema, taskStatusSchema } from './task.schema';

/**
 * One write of `tasks/{id}` as every effect of the task trigger sees it: the document before and
 * after, each read once with {@link storedTaskSchema}. Pure (no Firestore access).
 */

/** A Firestore Timestamp, checked by shape (anything with `toMillis`). */
const timestamp = z.custom<Timestamp>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { toMillis?: unknown }).toMillis === 'function',
  'must be a Timestamp',
);
const optionalTimestamp = timestamp.nullable().catch(null);

/**
 * `tasks/{id}` as stored, read tolerantly: a document without a project, creator or status is not
 * a task (no effect acts on it); any other field that is missing or malformed reads as its default.
 * The client-editable fields are those of {@link TaskDoc} (`task.schema.ts`); after them come the
 * series fields. The server's bookkeeping of reminders and recurrence is not here: it lives in
 * `taskSchedules/{taskId}`, so that keeping it never writes the task (nor fires its trigger).
 */
export const storedTaskSchema = z
  .object({
    title: z.string().catch(''),
    description: z.string().catch(''),
    projectId: docId,
    workspaceId: z.string().catch(''),
    createdBy: docId,
    /** Who made the write; null when the server did (then nobody is excluded as the actor). */
    updatedBy: docId.nullable().catch(null),
    assigneeId: docId.nullable().catch(null),
    status: taskStatusSchema,
    priority: taskPrioritySchema.catch('medium'),
    dueDate: optionalTimestamp,
    completedAt: optionalTimestamp,
    createdAt: optionalTimestamp,
    updatedAt: optionalTimestamp,
    recurrence: z
      .object({ rule: z.string(), timezone: z.string(), dueMode: z.enum(DUE_MODES).optional() })
      .nullable()
      .catch(null),
    /** Set (any value) on a soft-deleted task. */
    deletedAt: z.unknown().optional(),
    // A recurring series (set on the occurrences after the first).
    seriesId: z.string().optional().catch(undefined),
    occurrence: z.number().int().positive().optional().catch(undefined),
    seriesStart: timestamp.optional().catch(undefined),
  })
  .transform(({ deletedAt, ...task }) => ({
    ...task,
    deletedAt: deletedAt ?? null,
    deleted: deletedAt !== null && deletedAt !== undefined,
  }));
export type StoredTask = z.output<typeof storedTaskSchema>;

/** A task document's data as {@link StoredTask}: null without a document, 'invalid' if not a task. */
export function parseStoredTask(data: unknown): StoredTask | null | 'invalid' {
  if (data === undefined || data === null) return null;
  const parsed = storedTaskSchema.safeParse(data);
  return parsed.success ? parsed.data : 'invalid';
}

/** One trigger event of `tasks/{taskId}`, with the raw document data on each side. */
export interface TaskWriteEvent {
  /** The trigger event's id: the same in every redelivery. */
  eventId: string;
  taskId: string;
  before: Readonly<Record<string, unknown>> | undefined;
  after: Readonly<Record<string, unknown>> | undefined;
  /** The event's time (CloudEvent `time`). */
  occurredAt: Date;
}

/** One task write, parsed once: what every effect of the task trigger receives. */
export type TaskWrite =
  | {
      kind: 'task';
      eventId: string;
      taskId: string;
      occurredAt: Date;
      /** null: created. */
      before: StoredTask | null;
      /** null: deleted. */
      after: StoredTask | null;
    }
  /** A side that exists is not a task: no effect acts on it. */
  | { kind: 'invalid'; eventId: string; taskId: string; occurredAt: Date };

/** Reads one trigger event as a {@link TaskWrite}. */
export function parseTaskWrite(event: TaskWriteEvent): TaskWrite {
  const { eventId, taskId, occurredAt } = event;
  const before = parseStoredTask(event.before);
  const after = parseStoredTask(event.after);
  if (before === 'invalid' || after === 'invalid')
    return { kind: 'invalid', eventId, taskId, occurredAt };
  return { kind: 'task', eventId, taskId, occurredAt, before, after };
}

/** What an effect of the task trigger is given besides the write: the deps and the event's logger. */
export interface TaskEffectContext {
  deps: Deps;
  logger: Logger;
}

/**
 * One effect of a task write: named (logs, `sweepErrors` scope), idempotent (a redelivered event
 * repeats nothing), and given every write — an `invalid` one included, which it ignores (and may
 * log). No effect writes the task itself: what it keeps lives in its own collection, so a client's
 * write is one trigger run.
 */
export interface TaskEffect {
  name: string;
  run(write: TaskWrite, ctx: TaskEffectContext): Promise<unknown>;
}
