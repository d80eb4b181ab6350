import { FieldPath, Timestamp, type Firestore } from 'firebase-admin/firestore';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { parseDay, type DayStats } from './stats-day';
import { safeZone } from '../../core/time-zone';
import {
  daysBetween,
  periodWindow,
  summaryPeriodSchema,
  type PeriodWindow,
  type SummaryPeriod,
} from './summary-periods';
import { USERS, TASKS, USER_STATS, USER_STATS_DAYS } from '../../storage/collections';

/**
 * The user summary (`GET /api/analytics/user-summary`), computed from the user's day
 * documents ({@link import('./stats.service')}) of the current period and the matching part of the
 * previous one — at most 14 documents for a week, 62 for a month — plus the profile (time zone)
 * and one count query for overdue tasks. Never the user's history.
 */

export const userSummarySchema = z
  .object({
    userId: z.string(),
    period: summaryPeriodSchema,
    summary: z.object({
      tasksCompleted: z.number().int().min(0).meta({ example: 15 }),
      projectsActive: z.number().int().min(0).meta({ example: 3 }),
      hoursWorked: z.number().min(0).meta({ example: 25.5 }),
      productivityScore: z.number().min(0).max(10).meta({ example: 8.5 }),
    }),
    trends: z.object({
      completionRate: z
        .number()
        .min(0)
        .max(1)
        .nullable()
        .meta({ example: 0.85, description: 'null when nothing was completed or overdue' }),
      improvement: z
        .number()
        .nullable()
        .meta({ example: 0.12, description: 'null when the previous period had no completions' }),
    }),
  })
  .meta({ id: 'UserSummary' });
export type UserSummary = z.infer<typeof userSummarySchema>;

/** A day's work counts at most a whole day. */
const MAX_SECONDS_PER_DAY = 86_400;

const round = (x: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

/**
 * hoursWorked: per day, the larger of the time the app reported (`duration` of work events) and
 * the time the server measured (in_progress → done runs, each capped at 8 h), at most 24 h; summed
 * over the days, in hours, 2 decimals. The larger, not the sum: both measure the same work, and
 * an app that times work would otherwise count it twice.
 */
export function hoursWorkedOf(days: readonly DayStats[]): number {
  const seconds = days.reduce(
    (sum, d) =>
      sum + Math.min(MAX_SECONDS_PER_DAY, Math.max(d.secondsReported, d.secondsMeasured, 0)),
    0,
  );
  return round(seconds / 3600, 2);
}

/**
 * completionRate = completed ÷ (completed + overdue), 2 decimals: `completed` = tasksCompleted
 * in the period; `overdue` = tasks assigned to the user whose due date fell in the period before
 * now and that are still open (not done, not deleted). null when both are 0 (nothing to rate).
 */
export function completionRateOf(completed: number, overdue: number): number | null {
  const total = completed + overdue;
  return total === 0 ? null : round(completed / total, 2);
}

/**
 * improvement = (completed − previous) ÷ previous, 2 decimals, `previous` being tasksCompleted in
 * the same elapsed stretch of the previous period. When previous is 0: 0 if completed is 0 too
 * (no change), null otherwise (growth from nothing has no ratio).
 */
export function improvementOf(completed: number, previous: number): number | null {
  if (previous === 0) return completed === 0 ? 0 : null;
  return round((completed - previous) / previous, 2);
}

/**
 * productivityScore, 0–10 with 1 decimal:
 * 10 × (0.5 × completionRate (0 when null) + 0.3 × min(1, tasksCompleted ÷ elapsedDays)
 *       + 0.2 × activeDays ÷ elapsedDays)
 * — half reliability (finishing what is due), 0.3 throughput (one completion a day is full
 * marks), 0.2 consistency (share of the period's days so far with any activity).
 */
export function productivityScoreOf(input: {
  completionRate: number | null;
  tasksCompleted: number;
  activeDays: number;
  elapsedDays: number;
}): number {
  const elapsed = Math.max(1, input.elapsedDays);
  const score =
    0.5 * (input.completionRate ?? 0) +
    0.3 * Math.min(1, input.tasksCompleted / elapsed) +
    0.2 * Math.min(1, input.activeDays / elapsed);
  return round(10 * score, 1);
}

/** The figures of a summary from its days (pure; the service reads the inputs). */
export function summaryFigures(input: {
  /** Days of the current period through today (missing days may be absent). */
  current: readonly DayStats[];
  /** Days of the previous window. */
  previous: readonly DayStats[];
  /** Open tasks that fell due in the current period before now. */
  overdueOpen: number;
  elapsedDays: number;
}): Pick<UserSummary, 'summary' | 'trends'> {
  const sum = (days: readonly DayStats[]) => days.reduce((n, d) => n + d.tasksCompleted, 0);
  const tasksCompleted = sum(input.current);
  const projects = new Set(input.current.flatMap((d) => d.projects));
  const activeDays = input.current.filter((d) => d.events > 0).length;
  const completionRate = completionRateOf(tasksCompleted, input.overdueOpen);
  return {
    summary: {
      tasksCompleted,
      projectsActive: projects.size,
      hoursWorked: hoursWorkedOf(input.current),
      productivityScore: productivityScoreOf({
        completionRate,
        tasksCompleted,
        activeDays,
        elapsedDays: input.elapsedDays,
      }),
    },
    trends: { completionRate, improvement: improvementOf(tasksCompleted, sum(input.previous)) },
  };
}

/** Open tasks of an assignee by due date (completedAt is null exactly while a task is not done). */
export const OPEN_DUE_TASKS_QUERY: QueryShape = {
  collection: TASKS,
  equals: ['assigneeId', 'completedAt', 'deletedAt'],
  range: 'dueDate',
  orderBy: [['dueDate', 'asc']],
};

/** A user's day documents by id (date) range: served by the automatic document-id index. */
export const USER_DAYS_QUERY: QueryShape = {
  collection: USER_STATS_DAYS,
  equals: [],
  orderBy: [],
};

/** Day documents `from`…`to` (inclusive) of a user: one query, one read per existing day. */
export async function readDays(
  db: Firestore,
  userId: string,
  from: string,
  to: string,
): Promise<DayStats[]> {
  const snap = await db
    .collection(USER_STATS)
    .doc(userId)
    .collection(USER_STATS_DAYS)
    .orderBy(FieldPath.documentId())
    .startAt(from)
    .endAt(to)
    .limit(daysBetween(from, to) + 1)
    .get();
  return snap.docs.map((d) => parseDay(d.id, d.data()));
}

export interface SummaryOptions {
  /** The instant to summarise at (default: now) — e.g. the end of last week for a weekly email. */
  at?: Date | undefined;
}

/**
 * The summary of `userId` for `period` at now (or `options.at`), in the user's time zone (profile
 * `timezone`, UTC when missing or invalid). Reads: the profile, the day documents from the start
 * of the previous window through today, and one count aggregation.
 */
export async function computeUserSummary(
  db: Firestore,
  clock: Clock,
  userId: string,
  period: SummaryPeriod,
  options: SummaryOptions = {},
): Promise<UserSummary & { window: PeriodWindow }> {
  const now = options.at ?? clock.now();
  const profile = await db.collection(USERS).doc(userId).get();
  const window = periodWindow(period, now, safeZone(profile.get('timezone')));
  const [days, overdue] = await Promise.all([
    readDays(db, userId, window.previousStart, window.today),
    applyShape(db.collection(TASKS), OPEN_DUE_TASKS_QUERY, {
      equals: { assigneeId: userId, completedAt: null, deletedAt: null },
      range: { from: Timestamp.fromDate(window.startsAt), to: Timestamp.fromDate(now) },
    })
      .count()
      .get(),
  ]);
  const figures = summaryFigures({
    current: days.filter((d) => d.date >= window.start),
    previous: days.filter((d) => d.date >= window.previousStart && d.date <= window.previousEnd),
    overdueOpen: overdue.data().count,
    elapsedDays: window.elapsedDays,
  });
  return { userId, period, ...figures, window };
}
