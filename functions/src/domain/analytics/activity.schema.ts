import { createHash } from 'node:crypto';
import type { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';
import { docId } from '../shared.schema';

/**
 * Activity events (`activity/{id}`): what the app reports through
 * `POST /api/analytics/event`, and the task lifecycle the task trigger records by itself.
 */

/** Task lifecycle events; the task trigger records these, so no figure depends on the client. */
export const TASK_EVENT_TYPES = [
  'task_created',
  'task_assigned',
  'task_started',
  'task_completed',
  'task_reopened',
  'task_deleted',
] as const;
export type TaskEventType = (typeof TASK_EVENT_TYPES)[number];

/** Every declared event type. Anything else must use the namespaced form `custom.<name>`. */
export const DECLARED_EVENT_TYPES = [
  ...TASK_EVENT_TYPES,
  'task_viewed',
  'project_viewed',
  'focus_session',
  'app_opened',
  'session_started',
  'session_ended',
] as const;
export type DeclaredEventType = (typeof DECLARED_EVENT_TYPES)[number];

/** `custom.` followed by a lower-case snake_case name of 1–40 characters. */
export const CUSTOM_EVENT_TYPE = /^custom\.[a-z][a-z0-9_]{0,39}$/;

export type EventType = DeclaredEventType | `custom.${string}`;

const declared = new Set<string>(DECLARED_EVENT_TYPES);

/** Whether `value` is a declared event type or a well-formed `custom.<name>`. */
export function isEventType(value: string): value is EventType {
  return declared.has(value) || CUSTOM_EVENT_TYPE.test(value);
}

export const eventTypeSchema = z
  .string()
  .refine(isEventType, {
    message: `must be one of ${DECLARED_EVENT_TYPES.join(', ')}, or custom.<name> (a-z, 0-9, _)`,
  })
  .meta({ example: 'task_completed', description: 'A declared type or `custom.<name>`' });

/** Largest `eventData`, as UTF-8 JSON: activity documents stay small and cheap to export. */
export const MAX_EVENT_DATA_BYTES = 4096;

/** Longest duration one event may report: a day. */
export const MAX_EVENT_DURATION_SECONDS = 86_400;

/** Seconds of work an event reports (whole seconds, 0–86 400). */
export const durationSchema = z
  .number()
  .int()
  .min(0)
  .max(MAX_EVENT_DURATION_SECONDS)
  .meta({ description: 'Seconds spent, 0–86400' });

const platform = z.enum(['ios', 'android', 'web']);
const appVersion = z.string().min(1).max(32);
const sessionId = z.string().min(1).max(64);

const taskEventData = z.strictObject({
  taskId: docId,
  projectId: docId,
  duration: durationSchema.optional(),
});

/**
 * `eventData` per declared type. Declared types are strict (an unknown key is a 400 naming it);
 * custom events carry any JSON object, within {@link MAX_EVENT_DATA_BYTES}. The trigger's own
 * task events add the fields listed here too (assigneeId, status, permanent).
 */
export const EVENT_DATA_SCHEMAS: Readonly<Record<DeclaredEventType, z.ZodType>> = {
  task_created: taskEventData,
  task_assigned: taskEventData.extend({ assigneeId: docId.nullable().optional() }),
  task_started: taskEventData,
  task_completed: taskEventData,
  task_reopened: taskEventData.extend({ status: z.enum(['todo', 'in_progress']).optional() }),
  task_deleted: taskEventData.extend({ permanent: z.boolean().optional() }),
  task_viewed: z.strictObject({ taskId: docId, projectId: docId.optional() }),
  project_viewed: z.strictObject({ projectId: docId }),
  focus_session: z.strictObject({
    duration: durationSchema,
    taskId: docId.optional(),
    projectId: docId.optional(),
  }),
  app_opened: z.strictObject({ platform: platform.optional(), appVersion: appVersion.optional() }),
  session_started: z.strictObject({
    sessionId: sessionId.optional(),
    platform: platform.optional(),
    appVersion: appVersion.optional(),
  }),
  session_ended: z.strictObject({
    sessionId: sessionId.optional(),
    platform: platform.optional(),
    duration: durationSchema.optional(),
  }),
};

const customEventData = z.record(z.string().min(1).max(64), z.unknown());

/** The `eventData` schema of `eventType` (custom types: any object). */
export function eventDataSchema(eventType: EventType): z.ZodType {
  return (
    (EVENT_DATA_SCHEMAS as Record<string, z.ZodType | undefined>)[eventType] ?? customEventData
  );
}

/**
 * Event types whose `duration` is time worked (it counts towards hoursWorked); a session's
 * duration is time in the app, not work, so it does not.
 */
export const WORK_EVENT_TYPES: ReadonlySet<string> = new Set<string>([
  ...TASK_EVENT_TYPES,
  'focus_session',
]);

/** A client's own event id (for retries): letters, digits, `_`, `-`, `:`, `.`; 1–128 characters. */
export const clientEventIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_\-:.]{1,128}$/, 'must be 1–128 of A–Z, a–z, 0–9, _ - : .')
  .meta({ description: 'Your id for this event; a retry with the same id is stored once' });

export type ActivitySource = 'client' | 'trigger';

/** `activity/{id}` as stored. */
export interface ActivityDoc {
  userId: string;
  eventType: string;
  eventData: Record<string, unknown>;
  /** When it happened (server clock for client events; the task write's time for trigger ones). */
  timestamp: Timestamp;
  source: ActivitySource;
  /**
   * The user's local date (yyyy-MM-dd, in their time zone at that moment) the event was counted
   * on in `userStats/{uid}/days`; the backfill replays it, so a later time-zone change does not
   * move old events.
   */
  localDate: string;
  /** Firestore TTL deletes the document after this instant (retention). */
  expireAt: Timestamp;
  /** The client's event id, when it sent one. */
  clientEventId?: string;
  /** The trigger event that recorded it. */
  triggerEventId?: string;
}

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);
}

/**
 * The document id of a client event sent with its own `eventId`: derived from (user, event id),
 * so a retry lands on the same document (and `create()` refuses it), and two users' ids never
 * collide. Hashed so ids spread over the key space (no hot prefix) and reveal nothing.
 */
export function clientActivityId(userId: string, clientEventId: string): string {
  return `c_${digest(['client', userId, clientEventId])}`;
}

/** The document id of the `type` event a trigger event recorded: a redelivery finds it taken. */
export function triggerActivityId(triggerEventId: string, type: TaskEventType): string {
  return `t_${digest(['trigger', triggerEventId, type])}`;
}
