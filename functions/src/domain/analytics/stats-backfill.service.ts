import {
  FieldPath,
  Timestamp,
  type DocumentData,
  type Firestore,
  type Query,
  type QueryDocumentSnapshot,
} from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { applyShape, type QueryShape } from '../../core/query-shape';
import type { ActivitySource } from './activity.schema';
import { DEFAULT_RETENTION_DAYS } from './activity-policy';
import { deriveTaskActivity, parseTaskSnapshot, type TaskSnapshot } from './task-activity';
import { applyDelta, emptyDay, statsDelta, type DayStats } from './stats-day';
import { dayDocument, dayRef } from './stats.service';
import { localDateOf, safeZone } from '../../core/time-zone';
import { USERS, TASKS, ACTIVITY, USER_STATS, USER_STATS_DAYS } from '../../storage/collections';
import { backfillRef } from '../../storage/refs';
import type { BackfillCheckpointDoc } from '../../storage/documents';

/**
 * Recomputes `userStats/{uid}/days` from what is stored — the user's activity and tasks — for when
 * the incremental counters are missing (data from before analytics existed) or suspect (a bug, a
 * manual edit). The incremental path and this one share {@link statsDelta} and {@link applyDelta},
 * and activity documents carry the local date they were counted on, so a recompute over complete
 * activity reproduces the incremental result exactly (tested).
 */

/** A user's activity in time order (the order the incremental path counted it in). */
export const USER_ACTIVITY_BY_TIME_QUERY: QueryShape = {
  collection: ACTIVITY,
  equals: ['userId'],
  orderBy: [['timestamp', 'asc']],
};
/** Tasks a user created (single-field filter; paged by document id). */
export const TASKS_CREATED_BY_QUERY: QueryShape = {
  collection: TASKS,
  equals: ['createdBy'],
  orderBy: [],
};
/** Tasks assigned to a user (single-field filter; paged by document id). */
export const TASKS_ASSIGNED_TO_QUERY: QueryShape = {
  collection: TASKS,
  equals: ['assigneeId'],
  orderBy: [],
};
/** Every user, by id (the `--all` backfill). */
export const ALL_USERS_QUERY: QueryShape = { collection: USERS, equals: [], orderBy: [] };

/** Where the `--all` backfill records how far it got: `backfills/userStats` (its id). */
export const USER_STATS_BACKFILL = 'userStats';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Documents read, and written, per round trip. */
const PAGE = 300;

/** Runs `query` page by page (by its order, then document id), handing each page to `each`. */
async function forEachPage(
  query: Query,
  each: (docs: QueryDocumentSnapshot[]) => void | Promise<void>,
  pageSize = PAGE,
): Promise<void> {
  let last: QueryDocumentSnapshot | undefined;
  for (;;) {
    const page = await (last === undefined ? query : query.startAfter(last)).limit(pageSize).get();
    if (page.empty) return;
    await each(page.docs);
    last = page.docs[page.docs.length - 1];
    if (page.size < pageSize) return;
  }
}

export interface BackfillOptions {
  /** `ANALYTICS_RETENTION_DAYS`: activity older than this is gone, so older days are kept. */
  retentionDays?: number | undefined;
}

export interface BackfillUserResult {
  userId: string;
  /** No profile (a deleted account): nothing was read or written. */
  skipped: boolean;
  /** Activity documents replayed. */
  activity: number;
  /** Task events rebuilt from task documents (no activity on record for them). */
  fromTasks: number;
  /** Day documents written (replaced, or added before the retention horizon). */
  daysWritten: number;
  /** Day documents deleted (inside the horizon, with nothing on record for that day). */
  daysDeleted: number;
}

interface Countable {
  eventType: string;
  source: ActivitySource;
  eventData: Record<string, unknown>;
  localDate: string;
}

/**
 * Recomputes one user's day documents:
 *
 * 1. replays the user's activity documents in time order, each on the local date it was counted
 *    on (stored in the document);
 * 2. adds the task events no activity is on record for, rebuilt from the user's tasks as the
 *    trigger would have recorded them — a creation (at `createdAt`) and the current completion
 *    (at `completedAt`) credited to the user — on the user's current local date;
 * 3. writes the result: days from the retention horizon (now − retention) on are replaced, and
 *    deleted when nothing is on record for them; older days are only added where missing, because
 *    their activity has expired and the stored counters know more than the tasks can tell.
 *
 * A user without a profile (a deleted account) is skipped: their data must not come back.
 * Reads and writes in pages of {@link PAGE}; safe to rerun (it recomputes from scratch). Events
 * recorded while it runs may be lost from a day it replaces: run it while the user is quiet, or
 * run it again.
 */
export async function backfillUserStats(
  db: Firestore,
  clock: Clock,
  userId: string,
  options: BackfillOptions = {},
): Promise<BackfillUserResult> {
  const now = clock.now();
  const retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
  const profile = await db.collection(USERS).doc(userId).get();
  if (!profile.exists) {
    return { userId, skipped: true, activity: 0, fromTasks: 0, daysWritten: 0, daysDeleted: 0 };
  }
  const zone = safeZone(profile.get('timezone'));
  const days = new Map<string, DayStats>();
  const count = (e: Countable) => {
    let day = days.get(e.localDate);
    if (day === undefined) days.set(e.localDate, (day = emptyDay(e.localDate)));
    applyDelta(day, statsDelta(e));
  };

  // 1. Activity, in the order it happened; remember which task events are on record.
  const createdOnRecord = new Set<string>();
  const completedOnRecord = new Set<string>();
  let activity = 0;
  await forEachPage(
    applyShape(db.collection(ACTIVITY), USER_ACTIVITY_BY_TIME_QUERY, { equals: { userId } }),
    (docs) => {
      for (const doc of docs) {
        const a = doc.data();
        const at = a.timestamp as unknown;
        if (!(at instanceof Timestamp) || typeof a.eventType !== 'string') continue;
        const source: ActivitySource = a.source === 'trigger' ? 'trigger' : 'client';
        const eventData = (
          typeof a.eventData === 'object' && a.eventData !== null ? a.eventData : {}
        ) as Record<string, unknown>;
        const localDate =
          typeof a.localDate === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(a.localDate)
            ? a.localDate
            : localDateOf(at.toDate(), zone);
        count({ eventType: a.eventType, source, eventData, localDate });
        activity++;
        if (source === 'trigger' && typeof eventData.taskId === 'string') {
          if (a.eventType === 'task_created') createdOnRecord.add(eventData.taskId);
          if (a.eventType === 'task_completed') {
            completedOnRecord.add(`${eventData.taskId}@${at.toMillis()}`);
          }
        }
      }
    },
  );

  // 2. Task events with no activity on record (older than the feature, or expired).
  const tasks = new Map<string, TaskSnapshot>();
  const collect = (docs: QueryDocumentSnapshot[]) => {
    for (const doc of docs) {
      const task = parseTaskSnapshot(doc.data());
      if (task !== null && task !== 'invalid') tasks.set(doc.id, task);
    }
  };
  const tasksOf = (shape: QueryShape, field: string) =>
    applyShape(db.collection(TASKS), shape, { equals: { [field]: userId } }).orderBy(
      FieldPath.documentId(),
    );
  await forEachPage(tasksOf(TASKS_CREATED_BY_QUERY, 'createdBy'), collect);
  await forEachPage(tasksOf(TASKS_ASSIGNED_TO_QUERY, 'assigneeId'), collect);
  let fromTasks = 0;
  const rebuilt: (Countable & { at: number })[] = [];
  for (const [taskId, task] of tasks) {
    // The task as if it had been written in its current state in one go: its creation and, if
    // done, its completion, attributed by the trigger's own rules.
    for (const e of deriveTaskActivity(taskId, null, { ...task, deletedAt: false }, now)) {
      if (e.userId !== userId) continue;
      if (e.type === 'task_created' && (task.createdAt === null || createdOnRecord.has(taskId))) {
        continue;
      }
      if (e.type === 'task_completed') {
        if (task.completedAt === null) continue;
        if (completedOnRecord.has(`${taskId}@${task.completedAt.toMillis()}`)) continue;
      }
      if (e.type !== 'task_created' && e.type !== 'task_completed') continue;
      // Beyond the horizon there would be no activity anyway; inside it, missing activity means
      // the event predates analytics — either way the task is the only record.
      rebuilt.push({
        eventType: e.type,
        source: 'trigger',
        eventData: e.eventData,
        localDate: localDateOf(e.at, zone),
        at: e.at.getTime(),
      });
    }
  }
  rebuilt.sort((a, b) => a.at - b.at);
  for (const e of rebuilt) {
    count(e);
    fromTasks++;
  }

  // 3. Write: replace inside the horizon, fill in before it.
  // The first local day whose activity has not expired yet.
  const horizon = localDateOf(new Date(now.getTime() - retentionDays * DAY_MS), zone);
  const daysCol = db.collection(USER_STATS).doc(userId).collection(USER_STATS_DAYS);
  const existing = new Set<string>();
  await forEachPage(daysCol.orderBy(FieldPath.documentId()).select(), (docs) => {
    for (const d of docs) existing.add(d.id);
  });
  const writes: { date: string; data: DocumentData | null }[] = [];
  for (const [date, day] of days) {
    if (date < horizon && existing.has(date)) continue;
    writes.push({ date, data: dayDocument(userId, day, now) });
  }
  for (const date of existing) {
    if (date >= horizon && !days.has(date)) writes.push({ date, data: null });
  }
  for (let i = 0; i < writes.length; i += PAGE) {
    const batch = db.batch();
    for (const w of writes.slice(i, i + PAGE)) {
      const ref = dayRef(db, userId, w.date);
      if (w.data === null) batch.delete(ref);
      else batch.set(ref, w.data);
    }
    await batch.commit();
  }
  const daysDeleted = writes.filter((w) => w.data === null).length;
  return {
    userId,
    skipped: false,
    activity,
    fromTasks,
    daysWritten: writes.length - daysDeleted,
    daysDeleted,
  };
}

export interface BackfillAllOptions extends BackfillOptions {
  /** Start over even if an unfinished run is recorded. */
  restart?: boolean;
  /** Users read per page. */
  pageSize?: number;
  /** Stop after this many users (the checkpoint lets a later run carry on). */
  maxUsers?: number;
  onProgress?: (p: { result: BackfillUserResult; usersDone: number }) => void;
}

export interface BackfillAllResult {
  /** Users recomputed by this run. */
  users: number;
  /** Users done in the whole (possibly resumed) run. */
  usersDone: number;
  resumedAfter: string | null;
  finished: boolean;
}

/**
 * Recomputes every user's statistics ({@link backfillUserStats}), user by user in id order,
 * recording after each user how far it got (`backfills/userStats`). An interrupted run resumes
 * after the last finished user; a finished run starts over; `restart` forces starting over.
 */
export async function backfillAllUserStats(
  db: Firestore,
  clock: Clock,
  options: BackfillAllOptions = {},
): Promise<BackfillAllResult> {
  const { pageSize = 100, maxUsers = Number.POSITIVE_INFINITY } = options;
  const checkpointRef = backfillRef(db, USER_STATS_BACKFILL);
  const saved = (await checkpointRef.get()).data();
  const now = () => Timestamp.fromDate(clock.now());
  const resume = options.restart !== true && saved !== undefined && saved.finishedAt === null;
  const state: BackfillCheckpointDoc = resume
    ? { ...saved }
    : { cursor: null, usersDone: 0, startedAt: now(), updatedAt: now(), finishedAt: null };
  const resumedAfter = resume ? state.cursor : null;
  await checkpointRef.set(state);

  let users = 0;
  const base = applyShape(db.collection(USERS), ALL_USERS_QUERY, { equals: {} })
    .orderBy(FieldPath.documentId())
    .select();
  for (;;) {
    const page = await (state.cursor === null ? base : base.startAfter(state.cursor))
      .limit(pageSize)
      .get();
    for (const doc of page.docs) {
      if (users >= maxUsers)
        return { users, usersDone: state.usersDone, resumedAfter, finished: false };
      const result = await backfillUserStats(db, clock, doc.id, options);
      users++;
      state.cursor = doc.id;
      state.usersDone++;
      state.updatedAt = now();
      await checkpointRef.set(state);
      options.onProgress?.({ result, usersDone: state.usersDone });
    }
    if (page.size < pageSize) break;
  }
  state.finishedAt = now();
  await checkpointRef.set(state);
  return { users, usersDone: state.usersDone, resumedAfter, finished: true };
}
