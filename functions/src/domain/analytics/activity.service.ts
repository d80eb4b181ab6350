import { isDeepStrictEqual } from 'node:util';
import { Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { AppError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { parseStoredTask, type StoredTask, type TaskEffect } from '../tasks/task-write';
import { assertEventSubjects } from './event-subjects.service';
import {
  clientActivityId,
  triggerActivityId,
  type ActivityDoc,
  type ActivitySource,
  type TaskEventType,
} from './activity.schema';
import { expiryOf, retentionOf, validateEventData, type AnalyticsOptions } from './activity-policy';
import { deriveTaskActivity, runSeconds, snapshotOf, type DerivedTaskEvent } from './task-activity';
import { dayHasRoomFor, statsDelta } from './stats-day';
import { dayIncrement, dayRef } from './stats.service';
import { localDateOf, safeZone } from '../../core/time-zone';
import { USERS, ACTIVITY } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import { activityDocs } from '../../storage/refs';

/**
 * Activity and its statistics, stored: client events (`POST /api/analytics/event`) and the task
 * lifecycle from the task trigger, each stored once with its day's increments. What an event may
 * carry is decided in `activity-policy.ts`, what a task write means in `task-activity.ts`.
 */

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
      batch.create(activityDocs(db).doc(event.id), doc);
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
  const existing = (await activityDocs(db).doc(id).get()).data();
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
 * capped at `MAX_RUN_SECONDS` (task-activity.ts); null when no start is on record (expired, or before
 * analytics existed).
 */
async function measuredRunSeconds(
  db: Firestore,
  taskId: string,
  completedAt: Date,
): Promise<number | null> {
  const snap = await applyShape(activityDocs(db), LAST_TASK_START_QUERY, {
    equals: { 'eventData.taskId': taskId, eventType: 'task_started', source: 'trigger' },
    range: { to: Timestamp.fromDate(completedAt) },
  })
    .limit(1)
    .get();
  const started = snap.docs[0]?.data().timestamp;
  return started === undefined ? null : runSeconds(started.toMillis(), completedAt);
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
 * (latest recorded start → completion, capped at `MAX_RUN_SECONDS` (task-activity.ts)); it counts in
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
