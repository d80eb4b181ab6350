import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Timestamp } from 'firebase-admin/firestore';
import {
  MAX_EVENT_DATA_BYTES,
  clientActivityId,
  isEventType,
  triggerActivityId,
} from '../../src/domain/analytics/activity.schema';
import { expiryOf, validateEventData } from '../../src/domain/analytics/activity-policy';
import {
  deriveTaskActivity,
  parseTaskSnapshot,
  type TaskSnapshot,
} from '../../src/domain/analytics/task-activity';
import {
  MAX_PROJECTS_PER_DAY,
  applyDelta,
  emptyDay,
  statsDelta,
  type DayStats,
} from '../../src/domain/analytics/stats-day';
import { localDateOf, safeZone } from '../../src/core/time-zone';
import { periodWindow, startOfLocalDay } from '../../src/domain/analytics/summary-periods';
import {
  completionRateOf,
  hoursWorkedOf,
  improvementOf,
  productivityScoreOf,
  summaryFigures,
} from '../../src/domain/analytics/summary.service';

const LA = 'America/Los_Angeles';
const at = (iso: string) => new Date(iso);

describe('local dates and period windows (America/Los_Angeles, across DST)', () => {
  it('puts events near local midnight on the local date, not the UTC one', () => {
    expect(localDateOf(at('2026-11-02T07:59:59Z'), LA)).toBe('2026-11-01'); // 23:59:59 PST
    expect(localDateOf(at('2026-11-02T08:00:00Z'), LA)).toBe('2026-11-02'); // 00:00 PST
    expect(localDateOf(at('2026-10-27T06:59:00Z'), LA)).toBe('2026-10-26'); // 23:59 PDT
    expect(localDateOf(at('2026-10-27T07:00:00Z'), LA)).toBe('2026-10-27');
    // A 45-minute offset: Kathmandu is UTC+5:45.
    expect(localDateOf(at('2026-06-30T18:14:59Z'), 'Asia/Kathmandu')).toBe('2026-06-30');
    expect(localDateOf(at('2026-06-30T18:15:00Z'), 'Asia/Kathmandu')).toBe('2026-07-01');
  });

  it('weekly: the ISO week containing today, with local midnights on either side of the fall-back', () => {
    const w = periodWindow('weekly', at('2026-11-02T07:45:00Z'), LA); // Sunday 23:45 PST
    expect(w).toMatchObject({
      today: '2026-11-01',
      start: '2026-10-26',
      end: '2026-11-01',
      elapsedDays: 7,
      previousStart: '2026-10-19',
      previousEnd: '2026-10-25',
    });
    expect(w.startsAt.toISOString()).toBe('2026-10-26T07:00:00.000Z'); // midnight PDT
    const next = periodWindow('weekly', at('2026-11-02T08:10:00Z'), LA); // Monday 00:10 PST
    expect(next).toMatchObject({
      today: '2026-11-02',
      start: '2026-11-02',
      elapsedDays: 1,
      previousStart: '2026-10-26',
      previousEnd: '2026-10-26',
    });
    expect(next.startsAt.toISOString()).toBe('2026-11-02T08:00:00.000Z'); // midnight PST
    // The week with the clocks-back Sunday is 169 hours long.
    expect((next.startsAt.getTime() - w.startsAt.getTime()) / 3_600_000).toBe(169);
  });

  it('daily on the spring-forward day: a 23-hour local day', () => {
    const d = periodWindow('daily', at('2026-03-08T19:00:00Z'), LA); // 12:00 PDT
    expect(d).toMatchObject({
      today: '2026-03-08',
      start: '2026-03-08',
      end: '2026-03-08',
      elapsedDays: 1,
      previousStart: '2026-03-07',
      previousEnd: '2026-03-07',
    });
    expect(d.startsAt.toISOString()).toBe('2026-03-08T08:00:00.000Z'); // midnight PST
    expect(startOfLocalDay('2026-03-09', LA).getTime() - d.startsAt.getTime()).toBe(23 * 3_600_000);
  });

  it('monthly: the calendar month; the previous one is cut at the same day (or its end)', () => {
    expect(periodWindow('monthly', at('2026-03-31T20:00:00Z'), LA)).toMatchObject({
      start: '2026-03-01',
      end: '2026-03-31',
      elapsedDays: 31,
      previousStart: '2026-02-01',
      previousEnd: '2026-02-28',
    });
    expect(periodWindow('monthly', at('2026-03-10T20:00:00Z'), LA)).toMatchObject({
      elapsedDays: 10,
      previousStart: '2026-02-01',
      previousEnd: '2026-02-10',
    });
    // 07:30 UTC on 1 January is still 31 December in Los Angeles.
    expect(periodWindow('monthly', at('2026-01-01T07:30:00Z'), LA)).toMatchObject({
      today: '2025-12-31',
      start: '2025-12-01',
      end: '2025-12-31',
      previousStart: '2025-11-01',
      previousEnd: '2025-11-30',
    });
    expect(periodWindow('monthly', at('2026-01-01T09:00:00Z'), LA)).toMatchObject({
      start: '2026-01-01',
      elapsedDays: 1,
      previousStart: '2025-12-01',
      previousEnd: '2025-12-01',
    });
  });

  it('an invalid or missing zone reads as UTC', () => {
    expect(safeZone('Mars/Olympus')).toBe('UTC');
    expect(safeZone(undefined)).toBe('UTC');
    expect(safeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
  });
});

function day(date: string, over: Partial<DayStats> = {}): DayStats {
  return { ...emptyDay(date), ...over };
}

describe('summary figures', () => {
  it('hoursWorked: per day the larger of reported and measured, at most 24 h, 2 decimals', () => {
    expect(
      hoursWorkedOf([
        day('a', { secondsReported: 5400, secondsMeasured: 28_800 }),
        day('b', { secondsReported: 3600 }),
        day('c', { secondsReported: 90_000 * 2, secondsMeasured: 0 }),
        day('d', { secondsMeasured: 1000 }),
      ]),
    ).toBe(8 + 1 + 24 + 0.28);
    expect(hoursWorkedOf([])).toBe(0);
  });

  it('completionRate: completed ÷ (completed + overdue), null with nothing to rate', () => {
    expect(completionRateOf(4, 1)).toBe(0.8);
    expect(completionRateOf(0, 3)).toBe(0);
    expect(completionRateOf(2, 0)).toBe(1);
    expect(completionRateOf(0, 0)).toBeNull();
    expect(completionRateOf(1, 2)).toBe(0.33);
  });

  it('improvement: relative change; 0 from nothing to nothing, null from nothing to something', () => {
    expect(improvementOf(4, 2)).toBe(1);
    expect(improvementOf(3, 4)).toBe(-0.25);
    expect(improvementOf(0, 5)).toBe(-1);
    expect(improvementOf(0, 0)).toBe(0);
    expect(improvementOf(3, 0)).toBeNull();
  });

  it('productivityScore: 0–10 from rate, throughput and active days', () => {
    expect(
      productivityScoreOf({
        completionRate: 0.8,
        tasksCompleted: 4,
        activeDays: 5,
        elapsedDays: 7,
      }),
    ).toBe(7.1);
    expect(
      productivityScoreOf({ completionRate: 1, tasksCompleted: 30, activeDays: 7, elapsedDays: 7 }),
    ).toBe(10);
    expect(
      productivityScoreOf({
        completionRate: null,
        tasksCompleted: 0,
        activeDays: 0,
        elapsedDays: 7,
      }),
    ).toBe(0);
    // Only showing up: 0.2 × 10.
    expect(
      productivityScoreOf({
        completionRate: null,
        tasksCompleted: 0,
        activeDays: 3,
        elapsedDays: 3,
      }),
    ).toBe(2);
  });

  it('summaryFigures puts them together (projects are distinct across days)', () => {
    const figures = summaryFigures({
      current: [
        day('2026-10-26', { tasksCompleted: 2, events: 5, projects: ['a', 'b'] }),
        day('2026-10-28', { tasksCompleted: 1, events: 2, projects: ['a'], secondsMeasured: 7200 }),
        day('2026-10-29', { events: 1 }),
      ],
      previous: [day('2026-10-20', { tasksCompleted: 6 })],
      overdueOpen: 1,
      elapsedDays: 4,
    });
    expect(figures).toEqual({
      summary: { tasksCompleted: 3, projectsActive: 2, hoursWorked: 2, productivityScore: 7.5 },
      trends: { completionRate: 0.75, improvement: -0.5 },
    });
  });
});

describe('statistics of one event', () => {
  it('task counters and projects come only from the trigger’s events', () => {
    const data = { taskId: 't', projectId: 'p', duration: 600 };
    expect(statsDelta({ eventType: 'task_completed', source: 'trigger', eventData: data })).toEqual(
      { counters: { events: 1, tasksCompleted: 1, secondsMeasured: 600 }, projectId: 'p' },
    );
    expect(statsDelta({ eventType: 'task_completed', source: 'client', eventData: data })).toEqual({
      counters: { events: 1, secondsReported: 600 },
    });
    // Being assigned is not activity in the project.
    expect(statsDelta({ eventType: 'task_assigned', source: 'trigger', eventData: data })).toEqual({
      counters: { events: 1, tasksAssigned: 1 },
    });
    // Time in the app is not work.
    expect(
      statsDelta({ eventType: 'session_ended', source: 'client', eventData: { duration: 900 } }),
    ).toEqual({ counters: { events: 1 } });
    expect(
      statsDelta({ eventType: 'focus_session', source: 'client', eventData: { duration: 900 } }),
    ).toEqual({ counters: { events: 1, secondsReported: 900 } });
    expect(statsDelta({ eventType: 'custom.x', source: 'client', eventData: {} })).toEqual({
      counters: { events: 1 },
    });
  });

  it('a day records at most 100 distinct projects', () => {
    const d = emptyDay('2026-01-01');
    for (let i = 0; i < MAX_PROJECTS_PER_DAY + 5; i++) {
      applyDelta(d, { counters: { events: 1 }, projectId: `p${i}` });
    }
    applyDelta(d, { counters: { events: 1 }, projectId: 'p0' });
    expect(d.projects).toHaveLength(MAX_PROJECTS_PER_DAY);
    expect(d.events).toBe(MAX_PROJECTS_PER_DAY + 6);
  });
});

const ts = (iso: string) => Timestamp.fromDate(new Date(iso));
function snap(over: Partial<TaskSnapshot> = {}): TaskSnapshot {
  return {
    projectId: 'p',
    createdBy: 'ann',
    updatedBy: 'ann',
    assigneeId: 'bob',
    status: 'todo',
    deletedAt: false,
    completedAt: null,
    createdAt: ts('2026-01-01T00:00:00Z'),
    updatedAt: ts('2026-01-02T00:00:00Z'),
    ...over,
  };
}
const kinds = (events: ReturnType<typeof deriveTaskActivity>) =>
  events.map((e) => `${e.type}:${e.userId}`);
const NOW = at('2026-02-01T00:00:00Z');

describe('deriveTaskActivity (whose activity a task write is)', () => {
  it('a task created done by its creator for bob: created, assigned and completed (bob’s)', () => {
    const events = deriveTaskActivity(
      't',
      null,
      snap({ status: 'done', completedAt: ts('2026-01-01T00:00:05Z') }),
      NOW,
    );
    expect(kinds(events)).toEqual(['task_created:ann', 'task_assigned:bob', 'task_completed:bob']);
    expect(events.map((e) => e.at.toISOString())).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T00:00:05.000Z',
    ]);
  });

  it('done → in_progress is a reopen (the assignee’s) and a start (the actor’s)', () => {
    expect(
      kinds(
        deriveTaskActivity('t', snap({ status: 'done' }), snap({ status: 'in_progress' }), NOW),
      ),
    ).toEqual(['task_reopened:bob', 'task_started:ann']);
  });

  it('a server write (updatedBy null) starting an unassigned task is the creator’s', () => {
    expect(
      kinds(
        deriveTaskActivity(
          't',
          snap({ assigneeId: null }),
          snap({ assigneeId: null, updatedBy: null, status: 'in_progress' }),
          NOW,
        ),
      ),
    ).toEqual(['task_started:ann']);
  });

  it('records nothing for unassigning, restoring, edits of deleted tasks or other fields', () => {
    expect(deriveTaskActivity('t', snap(), snap({ assigneeId: null }), NOW)).toEqual([]);
    expect(deriveTaskActivity('t', snap({ deletedAt: true }), snap(), NOW)).toEqual([]);
    expect(
      deriveTaskActivity(
        't',
        snap({ deletedAt: true }),
        snap({ deletedAt: true, status: 'done' }),
        NOW,
      ),
    ).toEqual([]);
    expect(
      deriveTaskActivity('t', snap(), snap({ updatedAt: ts('2026-01-03T00:00:00Z') }), NOW),
    ).toEqual([]);
    expect(deriveTaskActivity('t', null, snap({ deletedAt: true }), NOW)).toEqual([]);
    expect(deriveTaskActivity('t', null, null, NOW)).toEqual([]);
  });

  it('reads task documents tolerantly', () => {
    expect(parseTaskSnapshot(undefined)).toBeNull();
    expect(parseTaskSnapshot({ projectId: 'p' })).toBe('invalid');
    expect(
      parseTaskSnapshot({
        projectId: 'p',
        createdBy: 'ann',
        status: 'todo',
        updatedBy: 42,
        completedAt: 'yesterday',
      }),
    ).toMatchObject({ updatedBy: null, assigneeId: null, completedAt: null, deletedAt: false });
  });
});

describe('event validation and ids', () => {
  it('declared types and the custom.<name> form', () => {
    expect(isEventType('task_completed')).toBe(true);
    expect(isEventType('custom.checkout_v2')).toBe(true);
    expect(isEventType('custom.')).toBe(false);
    expect(isEventType('custom.Upper')).toBe(false);
    expect(isEventType(`custom.${'a'.repeat(41)}`)).toBe(false);
    expect(isEventType('task_done')).toBe(false);
  });

  it('caps eventData at 4096 bytes of UTF-8 JSON', () => {
    const fill = (n: number) => ({ t: 'x'.repeat(n - '{"t":""}'.length) });
    expect(() => validateEventData('custom.x', fill(MAX_EVENT_DATA_BYTES))).not.toThrow();
    expect(() => validateEventData('custom.x', fill(MAX_EVENT_DATA_BYTES + 1))).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', status: 413 }),
    );
    // Multi-byte characters count as their bytes.
    expect(() => validateEventData('custom.x', { t: 'é'.repeat(2100) })).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }),
    );
  });

  it('derives stable, distinct document ids', () => {
    expect(clientActivityId('u1', 'e1')).toBe(clientActivityId('u1', 'e1'));
    expect(clientActivityId('u1', 'e1')).not.toBe(clientActivityId('u2', 'e1'));
    expect(triggerActivityId('ev', 'task_created')).not.toBe(
      triggerActivityId('ev', 'task_assigned'),
    );
    expect(clientActivityId('u1', 'e1')).toMatch(/^c_[0-9a-f]{40}$/);
  });

  it('expires an event its retention after it happened', () => {
    expect(expiryOf(at('2026-01-01T00:00:00Z'), 400).toISOString()).toBe(
      '2027-02-05T00:00:00.000Z',
    );
  });

  it('firestore.indexes.json declares the TTL policy of activity.expireAt', () => {
    const file = JSON.parse(
      readFileSync(path.join(__dirname, '../../../firestore.indexes.json'), 'utf8'),
    ) as { fieldOverrides: { collectionGroup: string; fieldPath: string; ttl?: boolean }[] };
    expect(file.fieldOverrides).toContainEqual(
      expect.objectContaining({ collectionGroup: 'activity', fieldPath: 'expireAt', ttl: true }),
    );
  });
});
