import { isDeepStrictEqual } from 'node:util';
import { Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { parseOrThrow } from '../../core/validation';
import { parseStoredTask, type StoredTask, type TaskEffect } from '../tasks/task-write';
import { assertEventSubjects } from './event-subjects.service';
import {
  MAX_EVENT_DATA_BYTES,
  clientActivityId,
  eventDataSchema,
  isEventType,
  triggerActivityId,
  type ActivityDoc,
  type ActivitySource,
  type TaskEventType,
} from './activity.schema';
import { dayHasRoomFor, statsDelta } from './stats-day';
import { dayIncrement, dayRef } from './stats.service';
import { localDateOf, safeZone } from '../../core/time-zone';
import { USERS, ACTIVITY } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';

/** Days an activity document is kept before Firestore's TTL policy deletes it. */
export const DEFAULT_RETENTION_DAYS = 400;
export const MAX_RETENTION_DAYS = 3650;

/** The longest in_progress → done run the server credits as work: a working day. */
export const MAX_RUN_SECONDS = 8 * 3600;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface AnalyticsOptions {
  /** `ANALYTICS_RETENTION_DAYS`; {@link DEFAULT_RETENTION_DAYS} when absent. */
  retentionDays?: number | undefined;
}

function retentionOf(options: AnalyticsOptions): number {
  const days = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new RangeError(
      `ANALYTICS_RETENTION_DAYS must be an integer from 1 to ${MAX_RETENTION_DAYS}`,
    );
  }
  return days;
}

/** When an event that happened at `at` expires (its `expireAt`, the TTL field). */
export function expiryOf(at: Date, retentionDays: number): Date {
  return new Date(at.getTime() + retentionDays * DAY_MS);
}

/** One event on its way to `activity/{id}`. */
interface PendingEvent {
  id: string;
  userId: string;
  eventType: string;
  eventData: Record<string, unknown>;
  at: Date;
  source: ActivitySource;
  clientEventId?: string;
  triggerEventId?: string;
}

/**
 * Each user's time zone (profile `timezone`; UTC when unset or invalid), or null for a user with
 * no profile — a deleted account, whose activity and statistics must not come back.
 */
async function loadZones(
  db: Firestore,
  userIds: readonly string[],
): Promise<Map<string, string | null>> {
  const unique = [...new Set(userIds)];
  if (unique.length === 0) return new Map();
  const profiles = await db.getAll(...unique.map((u) => db.collection(USERS).doc(u)));
  return new Map(profiles.map((p) => [p.id, p.exists ? safeZone(p.get('timezone')) : null]));
}

/**
 * Stores events, each with its statistics, exactly once. One batched write per event holds the
 * `create()` of the activity document and the increments of the user's day: if the document exists
 * (a retry, a redelivered trigger event) the whole batch fails and nothing is counted again; if the
 * batch commits, both landed. No transaction: `create()` alone is the guard, which is right on real
 * Firestore and enforced by the embedded test server too (tested).
 *
 * The local date comes from the user's zone ({@link loadZones}); the day's project list is read
 * first, outside the writes, for events that record a project (to keep it bounded). Returns
 * whether each event was created.
 */
async function storeEvents(
  db: Firestore,
  clock: Clock,
  events: readonly PendingEvent[],
  zones: ReadonlyMap<string, string | null>,
  retentionDays: number,
): Promise<boolean[]> {
  if (events.length === 0) return [];
  const planned = events.map((event) => {
    const localDate = localDateOf(event.at, zones.get(event.userId) ?? safeZone(undefined));
    return { event, localDate, delta: statsDelta(event) };
  });
  const withProject = planned.filter((p) => p.delta.projectId !== undefined);
  const dayRefs = new Map(
    withProject.map((p) => [dayRef(db, p.event.userId, p.localDate).path, p] as const),
  );
  const days =
    dayRefs.size === 0
      ? []
      : await db.getAll(
          ...[...dayRefs.values()].map((p) => dayRef(db, p.event.userId, p.localDate)),
        );
  const projectsOf = new Map(
    days.map((d) => {
      const projects: unknown = d.get('projects');
      return [d.ref.path, Array.isArray(projects) ? (projects as string[]) : []];
    }),
  );

  const now = clock.now();
  return Promise.all(
    planned.map(async ({ event, localDate, delta }) => {
      const doc: ActivityDoc = {
        userId: event.userId,
        eventType: event.eventType,
        eventData: event.eventData,
        timestamp: Timestamp.fromDate(event.at),
        source: event.source,
        localDate,
        expireAt: Timestamp.fromDate(expiryOf(event.at, retentionDays)),
        ...(event.clientEventId !== undefined ? { clientEventId: event.clientEventId } : {}),
        ...(event.triggerEventId !== undefined ? { triggerEventId: event.triggerEventId } : {}),
      };
      const day = dayRef(db, event.userId, localDate);
      const projects = projectsOf.get(day.path) ?? [];
      const room = delta.projectId !== undefined && dayHasRoomFor(projects, delta.projectId);
      const batch = db.batch();
      batch.create(db.collection(ACTIVITY).doc(event.id), doc);
      batch.set(day, dayIncrement(event.userId, localDate, delta, room, now), { merge: true });
      try {
        await batch.commit();
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Client events: POST /api/analytics/event
// ---------------------------------------------------------------------------------------------

export interface ClientEventInput {
  userId: string;
  eventType: string;
  eventData: Record<string, unknown>;
  /** The client's id for this event; a retry with the same id is stored once. */
  eventId?: string | undefined;
  /**
   * Refuse (404) a user without a profile — set when recording for someone else (an admin), so
   * no data is created for an account that does not exist (or was deleted).
   */
  requireProfile?: boolean | undefined;
}

/** Firestore nests maps at most 20 deep; custom event data stays well inside that. */
const MAX_EVENT_DATA_DEPTH = 8;

/**
 * The first place where `value` could not be stored in Firestore as given (nested arrays,
 * reserved `__x__` keys, too deep), as a dotted path — a 400 naming it instead of a 500.
 */
function unstorableAt(value: unknown, path: string, depth: number): string | null {
  if (depth > MAX_EVENT_DATA_DEPTH) return path;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (Array.isArray(item)) return `${path}.${i}`;
      const bad = unstorableAt(item, `${path}.${i}`, depth + 1);
      if (bad !== null) return bad;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '' || /^__.*__$/.test(key)) return `${path}.${key}`;
      const bad = unstorableAt(item, `${path}.${key}`, depth + 1);
      if (bad !== null) return bad;
    }
  }
  return null;
}

/**
 * Validates `eventData` for `eventType`: its size as JSON first (413 naming `eventData`), then
 * its shape for the type (400 naming the field, e.g. `eventData.taskId`).
 */
export function validateEventData(
  eventType: string,
  eventData: Record<string, unknown>,
): Record<string, unknown> {
  if (!isEventType(eventType)) {
    throw AppError.validation([{ field: 'eventType', message: 'Unknown event type' }]);
  }
  const bytes = Buffer.byteLength(JSON.stringify(eventData), 'utf8');
  if (bytes > MAX_EVENT_DATA_BYTES) {
    const message = `must be at most ${MAX_EVENT_DATA_BYTES} bytes as JSON (got ${bytes})`;
    throw new AppError('PAYLOAD_TOO_LARGE', `eventData: ${message}`, [
      { field: 'eventData', message },
    ]);
  }
  const { eventData: parsed } = parseOrThrow(z.object({ eventData: eventDataSchema(eventType) }), {
    eventData,
  }) as { eventData: Record<string, unknown> };
  const bad = unstorableAt(parsed, 'eventData', 1);
  if (bad !== null) {
    throw AppError.validation([
      {
        field: bad,
        message: `cannot be stored (no arrays in arrays, no __reserved__ keys, at most ${MAX_EVENT_DATA_DEPTH} levels)`,
      },
    ]);
  }
  return parsed;
}

/**
 * Records one event the app reports, with the server's clock as its time, and counts it in the
 * user's day. With a client `eventId` the document id is derived from (user, eventId): a retry is
 * stored once and answered with the same id (`created: false`); the same id for a different
 * event is a 409.
 */
export async function recordClientEvent(
  db: Firestore,
  clock: Clock,
  input: ClientEventInput,
  options: AnalyticsOptions = {},
): Promise<{ eventId: string; created: boolean }> {
  const retentionDays = retentionOf(options);
  const eventData = validateEventData(input.eventType, input.eventData);
  // Custom event data is opaque (and counts in no task figure); declared types name real work.
  if (!input.eventType.startsWith('custom.')) {
    await assertEventSubjects(db, input.userId, eventData);
  }
  const zones = await loadZones(db, [input.userId]);
  if (input.requireProfile === true && zones.get(input.userId) == null) {
    throw AppError.notFound(`User ${input.userId} not found`);
  }
  const id =
    input.eventId === undefined
      ? db.collection(ACTIVITY).doc().id
      : clientActivityId(input.userId, input.eventId);
  const [created] = await storeEvents(
    db,
    clock,
    [
      {
        id,
        userId: input.userId,
        eventType: input.eventType,
        eventData,
        at: clock.now(),
        source: 'client',
        ...(input.eventId !== undefined ? { clientEventId: input.eventId } : {}),
      },
    ],
    zones,
    retentionDays,
  );
  if (created === true) return { eventId: id, created: true };
  const existing = (await db.collection(ACTIVITY).doc(id).get()).data();
  if (
    existing?.userId === input.userId &&
    existing.eventType === input.eventType &&
    isDeepStrictEqual(existing.eventData, eventData)
  ) {
    return { eventId: id, created: false };
  }
  throw new AppError('CONFLICT', 'eventId: already used for a different event', [
    { field: 'eventId', message: 'already used for a different event' },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Task lifecycle, from the task trigger
// ---------------------------------------------------------------------------------------------

/** The task fields activity is derived from (a stored task, read once by the task trigger). */
export type TaskSnapshot = Pick<
  StoredTask,
  | 'projectId'
  | 'createdBy'
  | 'updatedBy'
  | 'assigneeId'
  | 'status'
  | 'completedAt'
  | 'createdAt'
  | 'updatedAt'
> & { deletedAt: boolean };

function snapshotOf(task: StoredTask | null): TaskSnapshot | null {
  if (task === null) return null;
  const { projectId, createdBy, updatedBy, assigneeId, status, completedAt, createdAt } = task;
  return {
    ...{ projectId, createdBy, updatedBy, assigneeId, status, completedAt, createdAt },
    updatedAt: task.updatedAt,
    deletedAt: task.deleted,
  };
}

/**
 * A task document's data as {@link TaskSnapshot} (read with the one stored-task schema: a
 * document with no project, creator or status yields no activity; bad optional fields read as
 * absent); `null` when there is none, `'invalid'` if unreadable.
 */
export function parseTaskSnapshot(data: DocumentData | undefined): TaskSnapshot | null | 'invalid' {
  const task = parseStoredTask(data);
  return task === 'invalid' ? 'invalid' : snapshotOf(task);
}

/** One lifecycle event derived from a task write. */
export interface DerivedTaskEvent {
  type: TaskEventType;
  userId: string;
  at: Date;
  eventData: Record<string, unknown>;
}

const dateOf = (ts: Timestamp | null, fallback: Date): Date =>
  ts === null ? fallback : new Date(ts.toMillis());

/**
 * What a task write means as activity, and whose activity it is — in one place:
 *
 * - `task_created` → the creator (`createdBy`), at `createdAt`;
 * - `task_assigned` (to someone new, including at creation) → the new assignee;
 * - `task_started` (status becomes in_progress) → the actor (`updatedBy`, else the creator);
 * - `task_completed` (status becomes done) → the ASSIGNEE: a completion counts for the person the
 *   task is assigned to, whoever clicked; an unassigned task counts for the actor. At `completedAt`.
 * - `task_reopened` (done → todo/in_progress) → the same person a completion would count for;
 *   done → in_progress is also a `task_started`;
 * - `task_deleted` (soft delete set) → the actor; a hard delete of a live task → the creator (the
 *   event does not say who deleted it), at `fallbackAt` (the trigger's time).
 *
 * Writes to a task that stays soft-deleted, restores, and unassignments record nothing. Times are
 * the task's own (`updatedAt` is the write's server time, enforced by rules), so a delayed or
 * retried trigger counts the event on the day it happened. Pure.
 */
export function deriveTaskActivity(
  taskId: string,
  before: TaskSnapshot | null,
  after: TaskSnapshot | null,
  fallbackAt: Date,
): DerivedTaskEvent[] {
  if (after === null) {
    if (before === null || before.deletedAt) return [];
    return [
      {
        type: 'task_deleted',
        userId: before.createdBy,
        at: fallbackAt,
        eventData: { taskId, projectId: before.projectId, permanent: true },
      },
    ];
  }
  const ref = { taskId, projectId: after.projectId };
  const actor = after.updatedBy ?? after.createdBy;
  const credited = after.assigneeId ?? actor;
  const updatedAt = dateOf(after.updatedAt, fallbackAt);
  const completedAt = dateOf(after.completedAt, updatedAt);
  const events: DerivedTaskEvent[] = [];

  if (before === null) {
    if (after.deletedAt) return [];
    const createdAt = dateOf(after.createdAt, updatedAt);
    events.push({ type: 'task_created', userId: after.createdBy, at: createdAt, eventData: ref });
    if (after.assigneeId !== null) {
      events.push({
        type: 'task_assigned',
        userId: after.assigneeId,
        at: createdAt,
        eventData: ref,
      });
    }
    if (after.status === 'in_progress') {
      events.push({ type: 'task_started', userId: actor, at: createdAt, eventData: ref });
    }
    if (after.status === 'done') {
      events.push({ type: 'task_completed', userId: credited, at: completedAt, eventData: ref });
    }
    return events;
  }

  if (before.deletedAt) return [];
  if (after.deletedAt) {
    return [
      {
        type: 'task_deleted',
        userId: actor,
        at: updatedAt,
        eventData: { ...ref, permanent: false },
      },
    ];
  }
  if (after.assigneeId !== null && after.assigneeId !== before.assigneeId) {
    events.push({ type: 'task_assigned', userId: after.assigneeId, at: updatedAt, eventData: ref });
  }
  if (before.status !== after.status) {
    if (before.status === 'done') {
      events.push({
        type: 'task_reopened',
        userId: credited,
        at: updatedAt,
        eventData: { ...ref, status: after.status },
      });
    }
    if (after.status === 'in_progress') {
      events.push({ type: 'task_started', userId: actor, at: updatedAt, eventData: ref });
    }
    if (after.status === 'done') {
      events.push({ type: 'task_completed', userId: credited, at: completedAt, eventData: ref });
    }
  }
  return events;
}

/**
 * The latest `task_started` the trigger recorded for a task before an instant: where an
 * in_progress → done run began. Trigger events only — a client cannot plant a start time.
 */
export const LAST_TASK_START_QUERY: QueryShape = {
  collection: ACTIVITY,
  equals: ['eventData.taskId', 'eventType', 'source'],
  range: 'timestamp',
  orderBy: [['timestamp', 'desc']],
};

/**
 * Seconds of the in_progress → done run ending at `completedAt`: from the latest recorded start,
 * capped at {@link MAX_RUN_SECONDS}; null when no start is on record (expired, or before
 * analytics existed).
 */
async function measuredRunSeconds(
  db: Firestore,
  taskId: string,
  completedAt: Date,
): Promise<number | null> {
  const snap = await applyShape(db.collection(ACTIVITY), LAST_TASK_START_QUERY, {
    equals: { 'eventData.taskId': taskId, eventType: 'task_started', source: 'trigger' },
    range: { to: Timestamp.fromDate(completedAt) },
  })
    .limit(1)
    .get();
  const started = snap.docs[0]?.get('timestamp') as Timestamp | undefined;
  if (started === undefined) return null;
  const seconds = Math.floor((completedAt.getTime() - started.toMillis()) / 1000);
  return Math.max(0, Math.min(MAX_RUN_SECONDS, seconds));
}

/** One task trigger event (`onTaskWritten`), with the raw document data before and after. */
export interface TaskWriteEvent {
  /** The trigger event id: the same in every redelivery. */
  eventId: string;
  taskId: string;
  before: DocumentData | undefined;
  after: DocumentData | undefined;
  /** The event's time (CloudEvent `time`), used for hard deletes; the clock when absent. */
  occurredAt?: Date | undefined;
}

export interface TaskActivityResult {
  /** Event types stored (and counted) by this delivery. */
  recorded: TaskEventType[];
  /** Event types already stored by an earlier delivery of the same event (not counted again). */
  duplicates: TaskEventType[];
  /** Event types of users without a profile (deleted accounts): not recorded. */
  skipped: TaskEventType[];
}

/**
 * Records the task lifecycle activity of one task write (see {@link deriveTaskActivity}) and
 * counts it in each user's day. Exactly once under at-least-once delivery: each event's id is
 * derived from (trigger event id, type) and created together with its increments in one batch, so
 * a redelivery — or a retry after a crash part-way — stores and counts only what is missing.
 *
 * A completion from in_progress carries the run's measured seconds as `eventData.duration`
 * (latest recorded start → completion, capped at {@link MAX_RUN_SECONDS}); it counts in
 * `secondsMeasured`. A document that is not readable as a task is logged and skipped, and so are
 * the events of users without a profile: a deleted account's data must not come back.
 */
export async function recordTaskActivity(
  db: Firestore,
  clock: Clock,
  event: TaskWriteEvent,
  logger: Logger,
  options: AnalyticsOptions = {},
): Promise<TaskActivityResult> {
  const before = parseStoredTask(event.before);
  const after = parseStoredTask(event.after);
  if (before === 'invalid' || after === 'invalid') return notATask(event, logger);
  return recordActivity(db, clock, { ...event, before, after }, logger, options);
}

function notATask(event: { taskId: string; eventId: string }, logger: Logger): TaskActivityResult {
  logger.warn('Not a valid task; no activity recorded', {
    taskId: event.taskId,
    eventId: event.eventId,
  });
  return { recorded: [], duplicates: [], skipped: [] };
}

/** The task trigger's analytics effect: {@link recordTaskActivity} on the parsed write. */
export const recordActivityEffect: TaskEffect = {
  name: 'analytics',
  run: (write, { deps, logger }) =>
    write.kind === 'invalid'
      ? Promise.resolve(notATask(write, logger))
      : recordActivity(deps.db, deps.clock, write, logger, {
          retentionDays: deps.analyticsRetentionDays,
        }),
};

async function recordActivity(
  db: Firestore,
  clock: Clock,
  event: {
    eventId: string;
    taskId: string;
    before: StoredTask | null;
    after: StoredTask | null;
    occurredAt?: Date | undefined;
  },
  logger: Logger,
  options: AnalyticsOptions,
): Promise<TaskActivityResult> {
  const retentionDays = retentionOf(options);
  const before = snapshotOf(event.before);
  const after = snapshotOf(event.after);
  const derived = deriveTaskActivity(event.taskId, before, after, event.occurredAt ?? clock.now());
  const zones = await loadZones(
    db,
    derived.map((d) => d.userId),
  );
  const result: TaskActivityResult = { recorded: [], duplicates: [], skipped: [] };
  const kept: DerivedTaskEvent[] = [];
  const pending: PendingEvent[] = [];
  for (const d of derived) {
    if (zones.get(d.userId) == null) {
      result.skipped.push(d.type);
      continue;
    }
    kept.push(d);
    let eventData = d.eventData;
    if (d.type === 'task_completed' && before?.status === 'in_progress') {
      const seconds = await measuredRunSeconds(db, event.taskId, d.at);
      if (seconds !== null) eventData = { ...eventData, duration: seconds };
    }
    pending.push({
      id: triggerActivityId(event.eventId, d.type),
      userId: d.userId,
      eventType: d.type,
      eventData,
      at: d.at,
      source: 'trigger',
      triggerEventId: event.eventId,
    });
  }
  const created = await storeEvents(db, clock, pending, zones, retentionDays);
  kept.forEach((d, i) => (created[i] === true ? result.recorded : result.duplicates).push(d.type));
  if (derived.length > 0) {
    logger.info('Task activity recorded', {
      taskId: event.taskId,
      eventId: event.eventId,
      ...result,
    });
  }
  return result;
}
