import { Timestamp, type DocumentData, type Firestore, type Query } from 'firebase-admin/firestore';
import { applyShape, type QueryShape } from '../../core/query-shape';
import { EMAIL_LIST_CAP } from '../notifications/email-templates';
import type { DigestFigures } from './digest.schema';
import type { DigestWindow } from './digest-time';
import { TASKS } from '../../storage/collections';

/**
 * What a digest says, read from the user's tasks with bounded, indexed queries: each list reads
 * at most the {@link EMAIL_LIST_CAP} tasks the email shows, and a `count()` aggregation gives the
 * exact total only when a list is full. So a digest costs about 4–8 document reads plus up to 4
 * aggregations (one index-entry read per 1,000 counted), however long the user's history.
 *
 * {@link DigestContentSource} is the seam for analytics: a source built on its stored
 * per-user/day figures can replace {@link tasksDigestContent} without touching the sender.
 */

/** Upcoming deadlines: due in the next 7 days. */
export const UPCOMING_DAYS = 7;

/** A task as a digest lists it. */
export interface DigestTask {
  id: string;
  title: string;
  /** Due date (upcoming, overdue) or completion time (completed). */
  at: Date | null;
}

export interface DigestList {
  /** The first {@link EMAIL_LIST_CAP}, in the order the email shows them. */
  items: DigestTask[];
  /** All of them. */
  total: number;
}

export interface DigestContent {
  /** Completed in the window, latest first. */
  completed: DigestList;
  /** Completed in the previous window of the same length (the trend's base). */
  previousCompleted: number;
  /** Open, due in [now, now + 7 days), soonest first. */
  upcoming: DigestList;
  /** Open, due before now, longest overdue first. */
  overdue: DigestList;
}

/** Reads a user's digest content for `window` at `now`. */
export type DigestContentSource = (
  db: Firestore,
  uid: string,
  window: DigestWindow,
  now: Date,
) => Promise<DigestContent>;

/**
 * Tasks assigned to the user, not deleted, completed in a range (completedAt is set exactly
 * while a task is done), latest first.
 */
export const COMPLETED_TASKS_QUERY: QueryShape = {
  collection: TASKS,
  equals: ['assigneeId', 'deletedAt'],
  range: 'completedAt',
  orderBy: [['completedAt', 'desc']],
};

/** Open tasks assigned to the user (completedAt null), not deleted, by due date in a range. */
export const OPEN_TASKS_BY_DUE_QUERY: QueryShape = {
  collection: TASKS,
  equals: ['assigneeId', 'completedAt', 'deletedAt'],
  range: 'dueDate',
  orderBy: [['dueDate', 'asc']],
};

function toTask(id: string, data: DocumentData, field: string): DigestTask {
  const at = data[field] as unknown;
  return {
    id,
    title: typeof data.title === 'string' ? data.title : '(untitled task)',
    at: at instanceof Timestamp ? at.toDate() : null,
  };
}

async function list(query: Query, field: string): Promise<DigestList> {
  const page = await query.limit(EMAIL_LIST_CAP).get();
  const items = page.docs.map((d) => toTask(d.id, d.data(), field));
  const total = page.size < EMAIL_LIST_CAP ? page.size : (await query.count().get()).data().count;
  return { items, total };
}

/** The default source: the user's task documents (see the module comment for the reads). */
export const tasksDigestContent: DigestContentSource = async (db, uid, window, now) => {
  const tasks = db.collection(TASKS);
  const completedIn = (from: Date, to: Date) =>
    applyShape(tasks, COMPLETED_TASKS_QUERY, {
      equals: { assigneeId: uid, deletedAt: null },
      range: { from: Timestamp.fromDate(from), to: Timestamp.fromDate(to) },
    });
  const openDue = (from: Date | undefined, to: Date) =>
    applyShape(tasks, OPEN_TASKS_BY_DUE_QUERY, {
      equals: { assigneeId: uid, completedAt: null, deletedAt: null },
      range: {
        from: from === undefined ? undefined : Timestamp.fromDate(from),
        to: Timestamp.fromDate(to),
      },
    });
  const [completed, previous, upcoming, overdue] = await Promise.all([
    list(completedIn(window.from, window.to), 'completedAt'),
    completedIn(window.previousFrom, window.previousTo).count().get(),
    list(openDue(now, new Date(now.getTime() + UPCOMING_DAYS * 86_400_000)), 'dueDate'),
    list(openDue(undefined, now), 'dueDate'),
  ]);
  return { completed, previousCompleted: previous.data().count, upcoming, overdue };
};

/** The figures of some content. */
export function digestFigures(content: DigestContent): DigestFigures {
  const completed = content.completed.total;
  const previousCompleted = content.previousCompleted;
  return {
    completed,
    previousCompleted,
    changePercent:
      previousCompleted === 0
        ? null
        : Math.round(((completed - previousCompleted) / previousCompleted) * 100),
    upcoming: content.upcoming.total,
    overdue: content.overdue.total,
  };
}

/** Nothing to report: not sent. */
export function isEmptyDigest(figures: DigestFigures): boolean {
  return figures.completed === 0 && figures.upcoming === 0 && figures.overdue === 0;
}

const tasks = (n: number) => `${n} ${n === 1 ? 'task' : 'tasks'}`;

/**
 * The productivity insight: completions against the previous stretch, then what needs attention.
 * E.g. "You completed 12 tasks last week, up 20% on the week before (10). 3 tasks are overdue."
 */
export function digestInsight(figures: DigestFigures, window: DigestWindow): string {
  const { completed, previousCompleted: prev, changePercent } = figures;
  const base = `${window.previousName} (${prev})`;
  let trend: string;
  if (completed === 0) {
    trend =
      prev === 0
        ? `No tasks completed ${window.when}.`
        : `No tasks completed ${window.when}, down from ${tasks(prev)} ${window.previousName}.`;
  } else if (changePercent === null) {
    trend = `You completed ${tasks(completed)} ${window.when}, up from none ${window.previousName}.`;
  } else if (changePercent === 0) {
    trend = `You completed ${tasks(completed)} ${window.when}, as many as ${window.previousName}.`;
  } else {
    const way = changePercent > 0 ? 'up' : 'down';
    trend = `You completed ${tasks(completed)} ${window.when}, ${way} ${Math.abs(changePercent)}% on ${base}.`;
  }
  if (figures.overdue > 0) {
    return `${trend} ${tasks(figures.overdue)} ${figures.overdue === 1 ? 'is' : 'are'} overdue.`;
  }
  if (figures.upcoming > 0) {
    return `${trend} ${tasks(figures.upcoming)} ${figures.upcoming === 1 ? 'is' : 'are'} due in the next ${UPCOMING_DAYS} days.`;
  }
  return trend;
}
