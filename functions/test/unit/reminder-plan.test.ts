import { Timestamp } from 'firebase-admin/firestore';
import { jobHealthStatus } from '../../src/domain/health/job-health.service';
import { remindersAffected } from '../../src/domain/reminders/reminder-arming.service';
import {
  DAY_MS,
  MAX_OVERDUE_FOLLOW_UP_DAYS,
  desiredBookkeeping,
  nextOverdueCheck,
  normaliseLeads,
  overdueKey,
  overdueVisit,
  planReminders,
  readBookkeeping,
  reminderKey,
  reminderVisit,
  taskView,
  type Bookkeeping,
} from '../../src/domain/reminders/reminder-plan';
import { reminderFields } from '../../src/storage/task-schedule-fields';

const at = (iso: string) => new Date(iso).getTime();
const DUE = at('2026-11-23T10:00:00Z');
const H = 3_600_000;
const M = 60_000;
const NONE: Bookkeeping = {
  nextReminderAt: null,
  reminders: null,
  overdueCheckAt: null,
  overdueNotice: null,
};

describe('planReminders (arming)', () => {
  it('arms every lead time still ahead, the earliest first', () => {
    const plan = planReminders({
      dueAtMs: DUE,
      leads: [60, 1440],
      sent: [],
      nowMs: DUE - 2 * DAY_MS,
    });
    expect(plan).toEqual({ pending: [1440, 60], nextAt: DUE - DAY_MS });
  });

  it('drops a lead time already past when a smaller one is still ahead (never late)', () => {
    // Created 23 h before due: no "due in 23 hours" now, the 1 h reminder at 09:00.
    const plan = planReminders({ dueAtMs: DUE, leads: [1440, 60], sent: [], nowMs: DUE - 23 * H });
    expect(plan).toEqual({ pending: [60], nextAt: DUE - H });
  });

  it('sends the smallest passed lead at once when none is ahead and the task is not yet due', () => {
    // Created 30 min before due: one reminder at once ("due in 30 minutes"), not two.
    const now = DUE - 30 * M;
    expect(planReminders({ dueAtMs: DUE, leads: [1440, 60], sent: [], nowMs: now })).toEqual({
      pending: [60],
      nextAt: now,
    });
  });

  it('does not catch up when a reminder was already sent for this due date and assignee', () => {
    const now = DUE - 30 * M;
    expect(planReminders({ dueAtMs: DUE, leads: [1440, 60], sent: [1440], nowMs: now })).toEqual({
      pending: [],
      nextAt: null,
    });
  });

  it('arms nothing once the task is due, or without lead times', () => {
    expect(planReminders({ dueAtMs: DUE, leads: [60], sent: [], nowMs: DUE })).toEqual({
      pending: [],
      nextAt: null,
    });
    expect(planReminders({ dueAtMs: DUE, leads: [], sent: [], nowMs: DUE - DAY_MS })).toEqual({
      pending: [],
      nextAt: null,
    });
  });

  it('skips lead times already sent and normalises the list', () => {
    expect(normaliseLeads([60, 1440, 60, 0, -5, 1.5])).toEqual([1440, 60]);
    const plan = planReminders({
      dueAtMs: DUE,
      leads: [60, 1440, 60],
      sent: [1440],
      nowMs: DUE - 2 * DAY_MS,
    });
    expect(plan).toEqual({ pending: [60], nextAt: DUE - H });
  });
});

describe('reminderVisit (sweep)', () => {
  it('sends the lead time that has come and points at the next', () => {
    expect(reminderVisit({ dueAtMs: DUE, pending: [1440, 60], nowMs: DUE - DAY_MS })).toEqual({
      send: 1440,
      dropped: [],
      pending: [60],
      nextAt: DUE - H,
    });
    expect(reminderVisit({ dueAtMs: DUE, pending: [60], nowMs: DUE - H + 4 * M })).toEqual({
      send: 60,
      dropped: [],
      pending: [],
      nextAt: null,
    });
  });

  it('after an outage sends only the most current lead time', () => {
    expect(reminderVisit({ dueAtMs: DUE, pending: [1440, 60], nowMs: DUE - 30 * M })).toEqual({
      send: 60,
      dropped: [1440],
      pending: [],
      nextAt: null,
    });
  });

  it('sends nothing once the task is due', () => {
    expect(reminderVisit({ dueAtMs: DUE, pending: [60], nowMs: DUE })).toMatchObject({
      send: null,
      nextAt: null,
    });
  });

  it('sends nothing before the time (an early visit) and keeps the plan', () => {
    expect(reminderVisit({ dueAtMs: DUE, pending: [60], nowMs: DUE - 2 * H })).toEqual({
      send: null,
      dropped: [],
      pending: [60],
      nextAt: DUE - H,
    });
  });
});

describe('overdue', () => {
  it('first notice at the due time, then one follow-up a day up to the cap', () => {
    let lastDay: number | null = null;
    const notices: (number | string)[] = [];
    let next = nextOverdueCheck({ dueAtMs: DUE, fromDay: null, followUp: true });
    expect(next).toBe(DUE);
    for (let guard = 0; next !== null && guard < 50; guard++) {
      const v = overdueVisit({ dueAtMs: DUE, nowMs: next, lastDay, followUp: true });
      if (v.notice !== null) notices.push(v.notice.followUp ? v.notice.day : 'first');
      lastDay = v.lastDay;
      next = v.nextAt;
    }
    expect(notices).toEqual(['first', 1, 2, 3, 4, 5, 6, 7]);
    expect(MAX_OVERDUE_FOLLOW_UP_DAYS).toBe(7);
  });

  it('without follow-ups: the first notice only', () => {
    const v = overdueVisit({ dueAtMs: DUE, nowMs: DUE + 10 * M, lastDay: null, followUp: false });
    expect(v).toEqual({ notice: { followUp: false, day: 0 }, lastDay: 0, nextAt: null });
  });

  it('at most one notice a day however often it is visited', () => {
    const v = overdueVisit({ dueAtMs: DUE, nowMs: DUE + 5 * H, lastDay: 0, followUp: true });
    expect(v).toEqual({ notice: null, lastDay: 0, nextAt: DUE + DAY_MS });
  });

  it('a task first seen days late gets one first notice, then follow-ups from the next day', () => {
    const v = overdueVisit({
      dueAtMs: DUE,
      nowMs: DUE + 3 * DAY_MS + H,
      lastDay: null,
      followUp: true,
    });
    expect(v).toEqual({
      notice: { followUp: false, day: 3 },
      lastDay: 3,
      nextAt: DUE + 4 * DAY_MS,
    });
  });

  it('a day missed in an outage is not made up, and past the cap nothing is scheduled', () => {
    const v = overdueVisit({ dueAtMs: DUE, nowMs: DUE + 4 * DAY_MS, lastDay: 1, followUp: true });
    expect(v.notice).toEqual({ followUp: true, day: 4 });
    const late = overdueVisit({
      dueAtMs: DUE,
      nowMs: DUE + 9 * DAY_MS,
      lastDay: 2,
      followUp: true,
    });
    expect(late).toEqual({ notice: null, lastDay: 2, nextAt: null });
  });

  it('re-dated into the future: no notice, look again at the due time', () => {
    expect(overdueVisit({ dueAtMs: DUE, nowMs: DUE - H, lastDay: null, followUp: true })).toEqual({
      notice: null,
      lastDay: null,
      nextAt: DUE,
    });
  });
});

describe('desiredBookkeeping', () => {
  const open = taskView({
    title: 'Ship v1',
    projectId: 'p1',
    assigneeId: 'bob',
    status: 'todo',
    deletedAt: null,
    dueDate: Timestamp.fromMillis(DUE),
  });
  const prefs = { leads: [1440, 60], followUp: true };

  it('an open assigned task with a due date: the first reminder and the due time', () => {
    expect(desiredBookkeeping(open, prefs, NONE, DUE - 2 * DAY_MS)).toEqual({
      nextReminderAt: DUE - DAY_MS,
      reminders: { dueAtMs: DUE, assigneeId: 'bob', pending: [1440, 60], sent: [] },
      overdueCheckAt: DUE,
      overdueNotice: null,
    });
  });

  it.each([
    ['done', { status: 'done' }],
    ['deleted', { deletedAt: Timestamp.fromMillis(DUE - DAY_MS) }],
    ['unassigned', { assigneeId: null }],
    ['undated', { dueDate: null }],
  ])('%s: nothing pending, history kept', (_name, change) => {
    const current: Bookkeeping = {
      nextReminderAt: DUE - H,
      reminders: { dueAtMs: DUE, assigneeId: 'bob', pending: [60], sent: [1440] },
      overdueCheckAt: DUE,
      overdueNotice: null,
    };
    const task = taskView({
      title: 'Ship v1',
      projectId: 'p1',
      assigneeId: 'bob',
      status: 'todo',
      deletedAt: null,
      dueDate: Timestamp.fromMillis(DUE),
      ...change,
    });
    expect(desiredBookkeeping(task, null, current, DUE - 2 * H)).toEqual({
      ...current,
      nextReminderAt: null,
      overdueCheckAt: null,
    });
  });

  it('reopened: what was sent stays sent; a new assignee or due date starts over', () => {
    const current: Bookkeeping = {
      nextReminderAt: null,
      reminders: { dueAtMs: DUE, assigneeId: 'bob', pending: [], sent: [1440] },
      overdueCheckAt: null,
      overdueNotice: { dueAtMs: DUE, assigneeId: 'bob', lastDay: 0 },
    };
    const now = DUE - 30 * M;
    expect(desiredBookkeeping(open, prefs, current, now)).toMatchObject({
      nextReminderAt: null,
      reminders: { pending: [], sent: [1440] },
      overdueCheckAt: DUE + DAY_MS,
    });
    const ann = { ...open, assigneeId: 'ann' };
    expect(desiredBookkeeping(ann, prefs, current, now)).toMatchObject({
      nextReminderAt: now,
      reminders: { assigneeId: 'ann', pending: [60], sent: [] },
      overdueCheckAt: DUE,
    });
  });
});

describe('stored form and keys', () => {
  it('round-trips through the document fields and ignores malformed values', () => {
    const fields = reminderFields(DUE - H, {
      dueAtMs: DUE,
      assigneeId: 'bob',
      pending: [60],
      sent: [1440],
    });
    expect(readBookkeeping(fields)).toEqual({
      nextReminderAt: DUE - H,
      reminders: { dueAtMs: DUE, assigneeId: 'bob', pending: [60], sent: [1440] },
      overdueCheckAt: null,
      overdueNotice: null,
    });
    expect(
      readBookkeeping({ reminders: { dueAt: 'soon' }, overdueNotice: { lastDay: -1 } }),
    ).toEqual(NONE);
  });

  it('keys name the task, the due date, the lead time or day, and the recipient', () => {
    expect(reminderKey('t1', DUE, 60, 'bob')).toBe(`reminder:t1:${DUE}:60:bob`);
    expect(overdueKey('t1', DUE, 'bob', null)).toBe(`overdue:t1:${DUE}:bob`);
    expect(overdueKey('t1', DUE, 'bob', 2)).toBe(`overdue:t1:${DUE}:day2:bob`);
  });
});

describe('remindersAffected (trigger filter)', () => {
  const base = {
    assigneeId: 'bob',
    status: 'todo',
    dueDate: Timestamp.fromMillis(DUE),
    deletedAt: null,
  };
  it('ignores writes that change nothing reminders depend on', () => {
    expect(remindersAffected(base, { ...base, title: 'renamed' } as typeof base)).toBe(false);
    expect(remindersAffected(base, { ...base, status: 'in_progress' })).toBe(false);
    expect(remindersAffected(base, { ...base, dueDate: Timestamp.fromMillis(DUE) })).toBe(false);
  });

  it('reacts to creation, due date, assignee, completion and deletion', () => {
    expect(remindersAffected(null, base)).toBe(true);
    expect(remindersAffected(base, { ...base, dueDate: Timestamp.fromMillis(DUE + H) })).toBe(true);
    expect(remindersAffected(base, { ...base, assigneeId: 'ann' })).toBe(true);
    expect(remindersAffected(base, { ...base, status: 'done' })).toBe(true);
    expect(remindersAffected(base, { ...base, deletedAt: Timestamp.fromMillis(DUE) })).toBe(true);
  });
});

describe('jobHealthStatus', () => {
  const now = new Date(DUE);
  it('is degraded when the last success is older than twice the period, or never happened', () => {
    const rec = (ageS: number) => ({
      periodSeconds: 300,
      lastSuccessAt: Timestamp.fromMillis(DUE - ageS * 1000),
    });
    expect(jobHealthStatus(rec(590), now)).toEqual({ degraded: false, lastSuccessAgeSeconds: 590 });
    expect(jobHealthStatus(rec(601), now)).toEqual({ degraded: true, lastSuccessAgeSeconds: 601 });
    expect(jobHealthStatus({ periodSeconds: 300 }, now)).toEqual({
      degraded: true,
      lastSuccessAgeSeconds: null,
    });
    expect(jobHealthStatus(undefined, now).degraded).toBe(true);
  });
});
