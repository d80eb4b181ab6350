import { WORK_EVENT_TYPES, type ActivitySource } from './activity.schema';

/**
 * Per-user, per-local-day statistics: `userStats/{uid}/days/{yyyy-MM-dd}`, the date being the
 * user's own (their `timezone` at the moment of the event). Kept incrementally — each activity
 * event adds its {@link statsDelta} in the same batched write that creates the activity document,
 * so a summary reads one small document per day of its period instead of the user's history, and
 * an event is counted exactly when its activity document is created (a redelivery is refused by
 * `create()` and the whole batch with it).
 */

/** The counters of one day. */
export const DAY_COUNTERS = [
  /** Activity events of the user that day (any type, either source). */
  'events',
  /** Tasks the user created. */
  'tasksCreated',
  /** Tasks assigned to the user. */
  'tasksAssigned',
  /** Tasks the user moved to in_progress. */
  'tasksStarted',
  /** Completions credited to the user (see activity.service: the assignee). */
  'tasksCompleted',
  /** Completions of the user's undone again (done → todo/in_progress). */
  'tasksReopened',
  /** Tasks the user deleted. */
  'tasksDeleted',
  /** Work time the app reported in `duration` of work events (client events). */
  'secondsReported',
  /** Work time measured by the server: in_progress → done runs, each capped (trigger events). */
  'secondsMeasured',
] as const;
export type DayCounter = (typeof DAY_COUNTERS)[number];
export type DayCounters = Record<DayCounter, number>;

/** Distinct projects recorded per day; more are not recorded (keeps the document bounded). */
export const MAX_PROJECTS_PER_DAY = 100;

/** One day of statistics, as read back. */
export interface DayStats extends DayCounters {
  /** yyyy-MM-dd, the document id. */
  date: string;
  /** Projects the user was active in (task events by the user), at most {@link MAX_PROJECTS_PER_DAY}. */
  projects: string[];
}

/** A day with every counter at 0 and no projects. */
export function emptyDay(date: string): DayStats {
  const day = { date, projects: [] as string[] } as DayStats;
  for (const c of DAY_COUNTERS) day[c] = 0;
  return day;
}

/** What one activity event adds to its day. */
export interface StatsDelta {
  counters: Partial<DayCounters>;
  /** The project the user was active in, if the event shows activity in one. */
  projectId?: string;
}

const TASK_COUNTER: Readonly<Record<string, DayCounter>> = {
  task_created: 'tasksCreated',
  task_assigned: 'tasksAssigned',
  task_started: 'tasksStarted',
  task_completed: 'tasksCompleted',
  task_reopened: 'tasksReopened',
  task_deleted: 'tasksDeleted',
};

/**
 * What an event adds to the user's day. Every event counts in `events`. The task counters and
 * active projects come only from the trigger's own task events (source `trigger`), so a client
 * that also reports `task_completed` does not count a completion twice, and nobody can inflate
 * them by posting events; a client event contributes its `duration` to `secondsReported` when its
 * type is work ({@link WORK_EVENT_TYPES}). Being assigned a task is not activity in its project.
 */
export function statsDelta(event: {
  eventType: string;
  source: ActivitySource;
  eventData: Readonly<Record<string, unknown>>;
}): StatsDelta {
  const counters: Partial<DayCounters> = { events: 1 };
  const duration = event.eventData.duration;
  const seconds = typeof duration === 'number' && duration > 0 ? duration : 0;
  if (event.source === 'client') {
    if (seconds > 0 && WORK_EVENT_TYPES.has(event.eventType)) counters.secondsReported = seconds;
    return { counters };
  }
  const counter = TASK_COUNTER[event.eventType];
  if (counter === undefined) return { counters };
  counters[counter] = 1;
  if (event.eventType === 'task_completed' && seconds > 0) counters.secondsMeasured = seconds;
  const projectId = event.eventData.projectId;
  if (event.eventType !== 'task_assigned' && typeof projectId === 'string') {
    return { counters, projectId };
  }
  return { counters };
}

/** Whether a day that holds `projects` records `projectId` too. */
export function dayHasRoomFor(projects: readonly string[], projectId: string): boolean {
  return projects.includes(projectId) || projects.length < MAX_PROJECTS_PER_DAY;
}

/** Adds `delta` to an in-memory day (the backfill's replay; same rules as {@link dayIncrement}). */
export function applyDelta(day: DayStats, delta: StatsDelta): void {
  for (const [counter, n] of Object.entries(delta.counters) as [DayCounter, number][]) {
    day[counter] += n;
  }
  const { projectId } = delta;
  if (projectId !== undefined && !day.projects.includes(projectId)) {
    if (dayHasRoomFor(day.projects, projectId)) day.projects.push(projectId);
  }
}

/** A stored day document read tolerantly: missing or malformed counters read as 0. */
export function parseDay(
  date: string,
  data: Readonly<Record<string, unknown>> | undefined,
): DayStats {
  const day = emptyDay(date);
  if (data === undefined) return day;
  for (const c of DAY_COUNTERS) {
    const v: unknown = data[c];
    if (typeof v === 'number' && Number.isFinite(v)) day[c] = v;
  }
  const projects: unknown = data.projects;
  if (Array.isArray(projects)) day.projects = projects.filter((p) => typeof p === 'string');
  return day;
}
