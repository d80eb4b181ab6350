import { Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { QueryShape } from '../../core/query-shape';
import {
  nextOccurrence,
  occurrenceTaskId,
  parseRule,
  recurrenceRuleProblem,
} from './recurrence-rule';
import { TASK_SCHEDULES, TASKS } from '../../storage/collections';
import { isAlreadyExists } from '../../storage/already-exists';
import type { TaskScheduleDoc } from '../../storage/documents';
import { taskScheduleRef } from '../../storage/refs';
import { parseStoredTask, type StoredTask, type TaskEffect } from './task-write';

/**
 * Recurring tasks, with `rrule` (RFC 5545 RRULE; the well-kept JS
 * implementation). A task's `recurrence = {rule, timezone, dueMode?}` is evaluated in its own
 * zone: rrule works on "floating" dates, so the due date is turned into its wall time in
 * `timezone`, the rule is expanded on wall times, and each result is turned back into a UTC
 * instant for that zone — a weekly 09:00 Berlin task stays 09:00 Berlin across DST changes.
 *
 * The series: the first task of a series is occurrence 1, its due date the series start (the
 * rule's DTSTART: the time of day, and the weekday or month day when the rule does not name
 * them, come from it). Each next occurrence is a new task, a copy with status `todo`, due at the
 * first occurrence strictly AFTER THE CURRENT TASK'S DUE DATE (not after now: completing a
 * weekly task late still gives the next week's, possibly already overdue, occurrence), carrying
 * `seriesId`, `occurrence` and `seriesStart`. COUNT counts the occurrences of the series
 * (the first task included), UNTIL ends it.
 *
 * When: `dueMode: 'on_complete'` (default) when the current one becomes done; `'on_due'` when
 * its due time passes (completed or not), through {@link spawnDueOccurrences}, which reads only
 * the schedules (`taskSchedules/{taskId}`) whose `recurrenceNextAt` (kept equal to the due date
 * while armed, null otherwise — null is outside any timestamp range, and a field delete is not
 * honoured by the embedded test server) has passed, then their tasks.
 *
 * The recurrence bookkeeping lives in the task's schedule, never in the task: writing it fires no
 * task trigger.
 *
 * Exactly once: the next task's id is derived from the series and the next due date, and it is
 * written with `create()`, so a completion delivered twice, or written twice, or a sweep that
 * overlaps another, yields one task; the source's schedule then records `recurrenceNextId` and the
 * source is never used again as a source.
 */

/** Schedules whose on_due recurrence is armed and due (automatic single-field index). */
export const DUE_RECURRENCES_QUERY: QueryShape = {
  collection: TASK_SCHEDULES,
  equals: [],
  range: 'recurrenceNextAt',
  orderBy: [['recurrenceNextAt', 'asc']],
};

/** A task as recurrence reads it (the one stored-task schema). */
export type RecurringTask = StoredTask;

export function parseTask(data: DocumentData | undefined): RecurringTask | null {
  const task = parseStoredTask(data);
  return task === 'invalid' ? null : task;
}

/** A task's recurrence bookkeeping, from its schedule (all null without one). */
export interface RecurrenceState {
  /** When the on_due sweep must spawn the next occurrence; null: not armed. */
  nextAt: Timestamp | null;
  /** The occurrence already spawned from this task: it is never a source again. */
  nextId: string | null;
  /** The due date a series deferred by the sweep was armed for. */
  deferredDue: Timestamp | null;
}

export function recurrenceState(schedule: TaskScheduleDoc | undefined): RecurrenceState {
  return {
    nextAt: schedule?.recurrenceNextAt ?? null,
    nextId: schedule?.recurrenceNextId ?? null,
    deferredDue: schedule?.recurrenceDeferredDue ?? null,
  };
}

export type SpawnResult =
  | { action: 'spawned'; nextTaskId: string; dueDate: Date; occurrence: number }
  /** An earlier delivery (or an overlapping sweep) created it already. */
  | { action: 'duplicate'; nextTaskId: string }
  | { action: 'ended'; reason: 'count' | 'until' }
  /** on_due: `recurrenceNextAt` set to the due date (the sweep will spawn at that time). */
  | { action: 'armed'; at: Date }
  | { action: 'disarmed' }
  | { action: 'none'; reason: string };

export interface TaskWriteEvent {
  /** The trigger event's id (for logs; exactly-once comes from the deterministic task id). */
  eventId: string;
  taskId: string;
  before: DocumentData | undefined;
  after: DocumentData | undefined;
}

/**
 * Records recurrence bookkeeping in the task's schedule (merged: the reminder fields are kept). A
 * task deleted meanwhile may leave a schedule behind; the sweeps delete one whose task is gone.
 */
export async function updateSource(
  db: Firestore,
  taskId: string,
  update: DocumentData,
): Promise<void> {
  await taskScheduleRef(db, taskId).set(update, { merge: true });
}

/**
 * What a write of `tasks/{taskId}` means for its recurrence (the task trigger calls this with the
 * plain before/after data):
 * - `on_complete` and the write made the task done → the next occurrence is created, once;
 * - `on_due` → `recurrenceNextAt` follows the due date (armed), for {@link spawnDueOccurrences};
 * - recurrence removed, task deleted → disarmed.
 * Reads the task's schedule when the task is (or was) recurring; writes only the schedule (to
 * record the successor or (dis)arm it) and the successor: never the task, so no trigger run follows.
 */
export function spawnNextOccurrence(
  db: Firestore,
  clock: Clock,
  event: TaskWriteEvent,
): Promise<SpawnResult> {
  return scheduleRecurrence(
    db,
    clock,
    event.taskId,
    parseTask(event.before),
    parseTask(event.after),
  );
}

/** The task trigger's recurrence effect: {@link spawnNextOccurrence} on the parsed write. */
export const scheduleRecurrenceEffect: TaskEffect = {
  name: 'recurrence',
  run: (write, { deps }) =>
    write.kind === 'invalid'
      ? Promise.resolve({ action: 'none', reason: 'not a task' } satisfies SpawnResult)
      : scheduleRecurrence(deps.db, deps.clock, write.taskId, write.before, write.after),
};

async function scheduleRecurrence(
  db: Firestore,
  clock: Clock,
  taskId: string,
  before: RecurringTask | null,
  after: RecurringTask | null,
): Promise<SpawnResult> {
  if (after === null) return { action: 'none', reason: 'deleted or not a task' };
  // Only a recurring task is ever armed: a write that has no recurrence on either side reads nothing.
  if (after.recurrence === null && (before === null || before.recurrence === null))
    return { action: 'none', reason: 'not recurring' };
  const state = recurrenceState((await taskScheduleRef(db, taskId).get()).data());
  const armed = state.nextAt !== null;
  const disarm = async (): Promise<SpawnResult> => {
    if (!armed) return { action: 'none', reason: 'not recurring' };
    await updateSource(db, taskId, { recurrenceNextAt: null });
    return { action: 'disarmed' };
  };
  if (after.recurrence === null || after.deletedAt !== null) return disarm();
  if (recurrenceRuleProblem(after.recurrence.rule) !== null) return disarm();
  if ((after.recurrence.dueMode ?? 'on_complete') === 'on_due') {
    if (state.nextId !== null) return disarm();
    if (after.dueDate === null) return disarm();
    if (
      armed &&
      (state.nextAt?.toMillis() === after.dueDate.toMillis() ||
        state.deferredDue?.toMillis() === after.dueDate.toMillis())
    ) {
      // Armed for this due date (or deferred by the sweep, still for this due date).
      return { action: 'none', reason: 'armed already' };
    }
    await updateSource(db, taskId, { recurrenceNextAt: after.dueDate });
    return { action: 'armed', at: after.dueDate.toDate() };
  }
  if (armed) await disarm(); // switched from on_due to on_complete
  if (after.status !== 'done' || before?.status === 'done') {
    return { action: 'none', reason: 'not a completion' };
  }
  return spawnFrom(db, clock, taskId, after, state);
}

/** Creates the occurrence after `source` (exactly once) and records it in the source's schedule. */
export async function spawnFrom(
  db: Firestore,
  clock: Clock,
  sourceId: string,
  source: RecurringTask,
  state: RecurrenceState,
): Promise<SpawnResult> {
  const recurrence = source.recurrence;
  if (recurrence === null) return { action: 'none', reason: 'not recurring' };
  if (state.nextId !== null) {
    return { action: 'duplicate', nextTaskId: state.nextId };
  }
  if (source.dueDate === null) return { action: 'none', reason: 'no due date to recur from' };
  const seriesId = source.seriesId ?? sourceId;
  const occurrence = source.occurrence ?? 1;
  const seriesStart = source.seriesStart ?? source.dueDate;
  const { count } = parseRule(recurrence.rule, recurrence.timezone);
  const ended = async (reason: 'count' | 'until'): Promise<SpawnResult> => {
    await updateSource(db, sourceId, {
      recurrenceNextId: null,
      recurrenceNextAt: null,
    });
    return { action: 'ended', reason };
  };
  if (count !== null && occurrence >= count) return ended('count');
  // on_due: after max(now, due) — a series due long ago gives one task, not one per missed
  // occurrence. on_complete: after the due date (each spawn is one completion by a person).
  const dueAt0 = source.dueDate.toDate();
  const after =
    recurrence.dueMode === 'on_due'
      ? new Date(Math.max(dueAt0.getTime(), clock.now().getTime()))
      : dueAt0;
  const due = nextOccurrence(recurrence, seriesStart.toDate(), after);
  if (due === null) return ended('until');
  const id = occurrenceTaskId(seriesId, due);
  const now = Timestamp.fromDate(clock.now());
  const dueAt = Timestamp.fromDate(due);
  const onDue = recurrence.dueMode === 'on_due';
  const next: DocumentData = {
    title: source.title,
    description: source.description,
    projectId: source.projectId,
    workspaceId: source.workspaceId,
    assigneeId: source.assigneeId,
    createdBy: source.createdBy,
    updatedBy: null,
    status: 'todo',
    priority: source.priority,
    dueDate: dueAt,
    completedAt: null,
    recurrence,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
    seriesId,
    occurrence: occurrence + 1,
    seriesStart,
    spawnedFrom: sourceId,
  };
  let result: SpawnResult;
  try {
    // The occurrence and (on_due) its armed schedule in one commit: both or neither.
    const batch = db.batch().create(db.collection(TASKS).doc(id), next);
    if (onDue) batch.set(taskScheduleRef(db, id), { recurrenceNextAt: dueAt }, { merge: true });
    await batch.commit();
    result = { action: 'spawned', nextTaskId: id, dueDate: due, occurrence: occurrence + 1 };
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    result = { action: 'duplicate', nextTaskId: id };
  }
  await updateSource(db, sourceId, { recurrenceNextId: id, recurrenceNextAt: null });
  return result;
}
