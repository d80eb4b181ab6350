import { formatInTimeZone } from 'date-fns-tz';
import {
  fromFloating,
  nextOccurrence,
  occurrenceTaskId,
  recurrenceRuleProblem,
  toFloating,
} from '../../src/domain/tasks/recurrence-rule';
import { recurrenceSchema } from '../../src/domain/tasks/task.schema';

const berlin = (d: Date | null) =>
  d === null ? null : formatInTimeZone(d, 'Europe/Berlin', 'EEE yyyy-MM-dd HH:mm');

/** The series from `start`: each next occurrence after the previous one, `n` of them. */
function series(rule: string, timezone: string, start: string, n: number): (Date | null)[] {
  const first = new Date(start);
  const out: (Date | null)[] = [];
  let current: Date | null = first;
  for (let i = 0; i < n && current !== null; i++) {
    current = nextOccurrence({ rule, timezone }, first, current);
    out.push(current);
  }
  return out;
}

describe('nextOccurrence (rrule in the task zone)', () => {
  it('a weekly 09:00 Berlin task stays 09:00 Berlin across the March 2026 DST change', () => {
    // Monday 23 March 09:00 CET = 08:00Z; clocks go forward on Sunday 29 March.
    const next = nextOccurrence(
      { rule: 'FREQ=WEEKLY;BYDAY=MO', timezone: 'Europe/Berlin' },
      new Date('2026-03-23T08:00:00Z'),
      new Date('2026-03-23T08:00:00Z'),
    );
    expect(next?.toISOString()).toBe('2026-03-30T07:00:00.000Z');
    expect(berlin(next)).toBe('Mon 2026-03-30 09:00');
  });

  it('weekly on given weekdays with an interval keeps the phase of the series start', () => {
    const out = series(
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE',
      'Europe/Berlin',
      '2026-03-23T08:00:00Z',
      4,
    );
    expect(out.map(berlin)).toEqual([
      'Wed 2026-03-25 09:00',
      'Mon 2026-04-06 09:00',
      'Wed 2026-04-08 09:00',
      'Mon 2026-04-20 09:00',
    ]);
  });

  it('daily, and monthly on a day that not every month has', () => {
    expect(
      series('FREQ=DAILY;INTERVAL=3', 'UTC', '2026-02-27T12:00:00Z', 2).map((d) =>
        d?.toISOString(),
      ),
    ).toEqual(['2026-03-02T12:00:00.000Z', '2026-03-05T12:00:00.000Z']);
    expect(
      series('FREQ=MONTHLY;BYMONTHDAY=31', 'Asia/Kolkata', '2026-01-31T04:30:00Z', 3).map((d) =>
        d === null ? null : formatInTimeZone(d, 'Asia/Kolkata', 'yyyy-MM-dd HH:mm'),
      ),
    ).toEqual(['2026-03-31 10:00', '2026-05-31 10:00', '2026-07-31 10:00']);
  });

  it('honours UNTIL given in UTC, and a date-only UNTIL includes that day', () => {
    const weekly = (until: string) =>
      series(`FREQ=WEEKLY;UNTIL=${until}`, 'Europe/Berlin', '2026-11-02T08:00:00Z', 5).map(berlin);
    expect(weekly('20261116T080000Z')).toEqual([
      'Mon 2026-11-09 09:00',
      'Mon 2026-11-16 09:00',
      null,
    ]);
    expect(weekly('20261116')).toEqual(['Mon 2026-11-09 09:00', 'Mon 2026-11-16 09:00', null]);
    expect(weekly('20261115')).toEqual(['Mon 2026-11-09 09:00', null]);
  });

  it('a due date moved off the pattern recurs from its new date', () => {
    // Occurrence due Monday was moved to Wednesday: the next is the following Monday.
    expect(
      berlin(
        nextOccurrence(
          { rule: 'FREQ=WEEKLY;BYDAY=MO', timezone: 'Europe/Berlin' },
          new Date('2026-11-02T08:00:00Z'),
          new Date('2026-11-11T08:00:00Z'),
        ),
      ),
    ).toBe('Mon 2026-11-16 09:00');
  });
});

describe('wall-time conversion', () => {
  it('round-trips, and moves a time skipped by the DST gap forward by the gap', () => {
    const at = new Date('2026-07-01T07:00:00Z');
    expect(toFloating(at, 'Europe/Berlin').toISOString()).toBe('2026-07-01T09:00:00.000Z');
    expect(fromFloating(toFloating(at, 'Europe/Berlin'), 'Europe/Berlin')).toEqual(at);
    // 02:30 does not exist in Berlin on 29 March 2026: it becomes 03:30 CEST (01:30Z).
    expect(fromFloating(new Date('2026-03-29T02:30:00Z'), 'Europe/Berlin').toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    // 02:30 happens twice on 25 October: the first (CEST, 00:30Z).
    expect(fromFloating(new Date('2026-10-25T02:30:00Z'), 'Europe/Berlin').toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });
});

describe('rule validation', () => {
  it.each([
    'FREQ=WEEKLY;BYDAY=MO,WE',
    'RRULE:FREQ=DAILY;INTERVAL=2;COUNT=10',
    'FREQ=MONTHLY;BYDAY=-1FR',
    'FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20271231T000000Z',
    'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1',
  ])('accepts %s', (rule) => {
    expect(recurrenceRuleProblem(rule)).toBeNull();
  });

  it.each([
    ['FREQ=WEEKLY;BYDAY=XX', /BYDAY/],
    ['FREQ=WEEKLY;COUNT=3;UNTIL=20261231', /COUNT and UNTIL/],
    ['FREQ=WEEKLY;DTSTART=20260101T090000Z', /DTSTART is not supported/],
    ['INTERVAL=2', /FREQ is required/],
    ['FREQ=DAILY;INTERVAL=0', /positive integer/],
    ['FREQ=DAILY;UNTIL=tomorrow', /UNTIL/],
    ['FREQ=DAILY;FREQ=WEEKLY', /twice/],
  ])('rejects %s', (rule, message) => {
    expect(recurrenceRuleProblem(rule)).toMatch(message);
  });

  it('the task schema names the field and accepts dueMode', () => {
    const bad = recurrenceSchema.safeParse({ rule: 'FREQ=WEEKLY;BYDAY=XX', timezone: 'UTC' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toContain('rule');
    expect(
      recurrenceSchema.safeParse({ rule: 'FREQ=DAILY', timezone: 'UTC', dueMode: 'on_due' })
        .success,
    ).toBe(true);
    expect(
      recurrenceSchema.safeParse({ rule: 'FREQ=DAILY', timezone: 'UTC', dueMode: 'sometimes' })
        .success,
    ).toBe(false);
  });
});

describe('occurrenceTaskId', () => {
  it('is readable, and a hash when the series id is long', () => {
    expect(occurrenceTaskId('task-1', new Date('2026-03-30T07:00:00Z'))).toBe(
      'task-1_20260330T070000Z',
    );
    const long = occurrenceTaskId('x'.repeat(120), new Date('2026-03-30T07:00:00Z'));
    expect(long).toMatch(/^r_[0-9a-f]{40}$/);
    expect(occurrenceTaskId('x'.repeat(120), new Date('2026-03-30T07:00:00Z'))).toBe(long);
  });
});

describe('half-hour DST (Australia/Lord_Howe)', () => {
  it('moves a skipped time forward by 30 minutes', () => {
    // Lord Howe goes from +10:30 to +11:00 at 02:00 on Sunday 4 October 2026: 02:15 is skipped.
    const at = fromFloating(new Date('2026-10-04T02:15:00Z'), 'Australia/Lord_Howe');
    expect(formatInTimeZone(at, 'Australia/Lord_Howe', 'yyyy-MM-dd HH:mm')).toBe(
      '2026-10-04 02:45',
    );
  });
});
