/**
 * The rules of due-date reminders and overdue notices, as pure functions of a task's due date,
 * the assignee's preferences and the instant — no Firestore, so every rule is unit-tested.
 *
 * Server-owned bookkeeping in the task's schedule, `taskSchedules/{taskId}` (never in the task, so
 * keeping it fires no task trigger; firestore.rules lets no client read or write it):
 * - `nextReminderAt`: when the reminder sweep must next look at the task (null: nothing pending);
 * - `reminders`: {dueAt, assigneeId, pending, sent}: the lead times (minutes) still to send and
 *   already sent, for one due date and one assignee;
 * - `overdueCheckAt`: when the overdue sweep must next look at the task (null: never);
 * - `overdueNotice`: {dueAt, assigneeId, lastDay}: the day (0 = the day it fell due) of the last
 *   overdue notice sent for that due date to that assignee.
 * The two `…At` fields are top-level so the sweeps read only due schedules with one range query
 * each (then those schedules' tasks).
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** Follow-ups of an overdue notice: at most one a day, on days 1 to this, then silence. */
export const MAX_OVERDUE_FOLLOW_UP_DAYS = 7;

export interface ReminderState {
  dueAtMs: number;
  assigneeId: string;
  /** Lead times (minutes) still to send, largest first (= earliest instant first). */
  pending: number[];
  /** Lead times already sent for this due date to this assignee. */
  sent: number[];
}

export interface OverdueState {
  dueAtMs: number;
  assigneeId: string;
  /** Day of the last notice: 0 = the first 24 h after the due time, n = the n-th day after. */
  lastDay: number;
}

/** What the reminder rules need of a task. */
export interface TaskView {
  title: string;
  projectId: string | null;
  assigneeId: string | null;
  open: boolean;
  deleted: boolean;
  dueAtMs: number | null;
}

/** The bookkeeping fields, as read from a task's schedule. */
export interface Bookkeeping {
  nextReminderAt: number | null;
  reminders: ReminderState | null;
  overdueCheckAt: number | null;
  overdueNotice: OverdueState | null;
}

// ------------------------------------------------------------------------------------------------
// Reading documents (written by clients too: parsed defensively, never trusted to be well formed)

/** A Firestore Timestamp or a Date as milliseconds; anything else null. */
export function millisOf(value: unknown): number | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime();
  if (value !== null && typeof value === 'object' && 'toMillis' in value) {
    const toMillis: unknown = value.toMillis;
    if (typeof toMillis === 'function') {
      const ms = (toMillis as () => unknown).call(value);
      return typeof ms === 'number' && Number.isFinite(ms) ? ms : null;
    }
  }
  return null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const leadList = (v: unknown): number[] =>
  Array.isArray(v) ? v.filter((n): n is number => Number.isInteger(n) && n > 0) : [];

export function taskView(data: Readonly<Record<string, unknown>>): TaskView {
  return {
    title: typeof data.title === 'string' ? data.title : '',
    projectId: str(data.projectId),
    assigneeId: str(data.assigneeId),
    open: data.status === 'todo' || data.status === 'in_progress',
    deleted: data.deletedAt !== null && data.deletedAt !== undefined,
    dueAtMs: millisOf(data.dueDate),
  };
}

/** Open, not deleted, assigned and with a due date: the only tasks anybody is reminded of. */
export function isArmable(
  t: TaskView,
): t is TaskView & { assigneeId: string; dueAtMs: number; open: true } {
  return t.open && !t.deleted && t.assigneeId !== null && t.dueAtMs !== null;
}

function parseReminderState(v: unknown): ReminderState | null {
  if (v === null || typeof v !== 'object') return null;
  const m = v as Record<string, unknown>;
  const dueAtMs = millisOf(m.dueAt);
  const assigneeId = str(m.assigneeId);
  if (dueAtMs === null || assigneeId === null) return null;
  return { dueAtMs, assigneeId, pending: leadList(m.pending), sent: leadList(m.sent) };
}

function parseOverdueState(v: unknown): OverdueState | null {
  if (v === null || typeof v !== 'object') return null;
  const m = v as Record<string, unknown>;
  const dueAtMs = millisOf(m.dueAt);
  const assigneeId = str(m.assigneeId);
  if (dueAtMs === null || assigneeId === null) return null;
  if (!Number.isInteger(m.lastDay) || (m.lastDay as number) < 0) return null;
  return { dueAtMs, assigneeId, lastDay: m.lastDay as number };
}

export function readBookkeeping(data: Readonly<Record<string, unknown>>): Bookkeeping {
  return {
    nextReminderAt: millisOf(data.nextReminderAt),
    reminders: parseReminderState(data.reminders),
    overdueCheckAt: millisOf(data.overdueCheckAt),
    overdueNotice: parseOverdueState(data.overdueNotice),
  };
}

// ------------------------------------------------------------------------------------------------
// Reminders

/** Lead times as a plan uses them: unique positive whole minutes, largest first. */
export function normaliseLeads(leads: readonly number[]): number[] {
  return [...new Set(leads.filter((n) => Number.isInteger(n) && n > 0))].sort((a, b) => b - a);
}

export function reminderInstant(dueAtMs: number, leadMinutes: number): number {
  return dueAtMs - leadMinutes * MINUTE_MS;
}

export interface ReminderPlan {
  /** Lead times to send, largest first. */
  pending: number[];
  /** When the sweep must look at the task next; null when nothing is pending. */
  nextAt: number | null;
}

/**
 * The reminders of one due date for one assignee, armed at `nowMs` (task created, re-dated,
 * reassigned, reopened or restored):
 * - every lead time whose instant is still ahead is pending;
 * - a lead time whose instant has already passed is never sent late — with one exception: when
 *   none is ahead, nothing was sent yet and the task is not yet due, the smallest passed lead is
 *   sent at once (on the next tick), so a task armed shortly before its due time still gets one
 *   reminder ("due in 30 minutes"), never a stale "due in 24 hours";
 * - nothing once the due time has come (the overdue notice takes over).
 */
export function planReminders(input: {
  dueAtMs: number;
  leads: readonly number[];
  sent: readonly number[];
  nowMs: number;
}): ReminderPlan {
  const { dueAtMs, nowMs } = input;
  if (dueAtMs <= nowMs) return { pending: [], nextAt: null };
  const leads = normaliseLeads(input.leads).filter((l) => !input.sent.includes(l));
  const ahead = leads.filter((l) => reminderInstant(dueAtMs, l) > nowMs);
  const first = ahead[0];
  if (first !== undefined) return { pending: ahead, nextAt: reminderInstant(dueAtMs, first) };
  const smallestPassed = leads[leads.length - 1];
  if (smallestPassed !== undefined && input.sent.length === 0)
    return { pending: [smallestPassed], nextAt: nowMs };
  return { pending: [], nextAt: null };
}

export interface ReminderVisit {
  /** The one lead time to send now, or null. */
  send: number | null;
  /** Lead times whose time came together with a smaller one (after an outage): not sent. */
  dropped: number[];
  /** Lead times still ahead. */
  pending: number[];
  nextAt: number | null;
}

/**
 * A sweep's visit at `nowMs`: of the pending lead times whose instant has come, only the smallest
 * (the most current) is sent — after an outage a task gets "due in 1 hour", not that and a late
 * "due in 24 hours" at once; once the due time has passed, none is.
 */
export function reminderVisit(input: {
  dueAtMs: number;
  pending: readonly number[];
  nowMs: number;
}): ReminderVisit {
  const { dueAtMs, nowMs } = input;
  const leads = normaliseLeads(input.pending);
  if (dueAtMs <= nowMs) return { send: null, dropped: leads, pending: [], nextAt: null };
  const come = leads.filter((l) => reminderInstant(dueAtMs, l) <= nowMs);
  const ahead = leads.filter((l) => reminderInstant(dueAtMs, l) > nowMs);
  const send = come.length === 0 ? null : Math.min(...come);
  const first = ahead[0];
  return {
    send,
    dropped: come.filter((l) => l !== send),
    pending: ahead,
    nextAt: first === undefined ? null : reminderInstant(dueAtMs, first),
  };
}

// ------------------------------------------------------------------------------------------------
// Overdue

/** 0 during the first 24 h after the due time, then 1, 2, …; negative before it. */
export function overdueDay(dueAtMs: number, nowMs: number): number {
  return Math.floor((nowMs - dueAtMs) / DAY_MS);
}

/**
 * When the overdue sweep must next look at a task: at the due time when no notice was sent for
 * this due date and assignee; else at the start of the day after `fromDay` when follow-ups are on
 * and that day is within {@link MAX_OVERDUE_FOLLOW_UP_DAYS}; else never.
 */
export function nextOverdueCheck(input: {
  dueAtMs: number;
  fromDay: number | null;
  followUp: boolean;
}): number | null {
  if (input.fromDay === null) return input.dueAtMs;
  const day = input.fromDay + 1;
  if (!input.followUp || day > MAX_OVERDUE_FOLLOW_UP_DAYS) return null;
  return input.dueAtMs + day * DAY_MS;
}

export interface OverdueVisit {
  /** The notice to send now: the first one, or the follow-up of `day`. */
  notice: { followUp: false; day: number } | { followUp: true; day: number } | null;
  lastDay: number | null;
  nextAt: number | null;
}

/**
 * An overdue sweep's visit at `nowMs`: the first notice when none was sent for this due date and
 * assignee (whatever day it is); then, with follow-ups on, one on each later day up to
 * {@link MAX_OVERDUE_FOLLOW_UP_DAYS} — a day missed during an outage is not made up.
 */
export function overdueVisit(input: {
  dueAtMs: number;
  nowMs: number;
  lastDay: number | null;
  followUp: boolean;
}): OverdueVisit {
  const { dueAtMs, nowMs, lastDay, followUp } = input;
  if (nowMs < dueAtMs)
    return {
      notice: null,
      lastDay,
      nextAt: nextOverdueCheck({ dueAtMs, fromDay: lastDay, followUp }),
    };
  const day = overdueDay(dueAtMs, nowMs);
  if (lastDay === null)
    return {
      notice: { followUp: false, day },
      lastDay: day,
      nextAt: nextOverdueCheck({ dueAtMs, fromDay: day, followUp }),
    };
  const notice =
    followUp && day > lastDay && day <= MAX_OVERDUE_FOLLOW_UP_DAYS
      ? ({ followUp: true, day } as const)
      : null;
  return {
    notice,
    lastDay: notice === null ? lastDay : day,
    nextAt: nextOverdueCheck({ dueAtMs, fromDay: Math.max(lastDay, day), followUp }),
  };
}

// ------------------------------------------------------------------------------------------------
// Arming: the bookkeeping a task should have

/**
 * The bookkeeping a task should carry at `nowMs`, from its fields, the assignee's lead times and
 * follow-up switch (`prefs`: null when the task is not armable), and what it carries now. What
 * was sent for the same due date and assignee stays sent; a new due date or assignee starts over
 * (their idempotency keys differ). A task that is done, deleted, unassigned or without a due date
 * has nothing pending; its history is kept, so reopening it does not repeat a reminder.
 */
export function desiredBookkeeping(
  task: TaskView,
  prefs: { leads: readonly number[]; followUp: boolean } | null,
  current: Bookkeeping,
  nowMs: number,
): Bookkeeping {
  if (!isArmable(task) || prefs === null)
    return { ...current, nextReminderAt: null, overdueCheckAt: null };
  const { dueAtMs, assigneeId } = task;
  const same = (s: { dueAtMs: number; assigneeId: string } | null) =>
    s !== null && s.dueAtMs === dueAtMs && s.assigneeId === assigneeId;
  const sent = same(current.reminders) ? (current.reminders?.sent ?? []) : [];
  const plan = planReminders({ dueAtMs, leads: prefs.leads, sent, nowMs });
  const lastDay = same(current.overdueNotice) ? (current.overdueNotice?.lastDay ?? null) : null;
  return {
    nextReminderAt: plan.nextAt,
    reminders: { dueAtMs, assigneeId, pending: plan.pending, sent },
    overdueCheckAt: nextOverdueCheck({ dueAtMs, fromDay: lastDay, followUp: prefs.followUp }),
    overdueNotice: current.overdueNotice,
  };
}

const sameList = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export function sameReminderState(a: ReminderState | null, b: ReminderState | null): boolean {
  if (a === null || b === null) return a === b;
  return (
    a.dueAtMs === b.dueAtMs &&
    a.assigneeId === b.assigneeId &&
    sameList(a.pending, b.pending) &&
    sameList(a.sent, b.sent)
  );
}

// ------------------------------------------------------------------------------------------------
// Idempotency keys (the engine delivers each key once per recipient: inbox id and delivery ids
// derive from it). The recipient is part of the key because delivery records are global.

export function reminderKey(
  taskId: string,
  dueAtMs: number,
  leadMinutes: number,
  recipientId: string,
): string {
  return `reminder:${taskId}:${dueAtMs}:${leadMinutes}:${recipientId}`;
}

export function overdueKey(
  taskId: string,
  dueAtMs: number,
  recipientId: string,
  followUpDay: number | null,
): string {
  return followUpDay === null
    ? `overdue:${taskId}:${dueAtMs}:${recipientId}`
    : `overdue:${taskId}:${dueAtMs}:day${followUpDay}:${recipientId}`;
}
