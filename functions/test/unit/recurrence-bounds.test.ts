import fc from 'fast-check';
import { RRule } from 'rrule';
import {
  boundedNext,
  nextOccurrence,
  parseRule,
  recurrenceRuleProblem,
  resolveZone,
} from '../../src/domain/tasks/recurrence-rule';
import { recurrenceSchema } from '../../src/domain/tasks/task.schema';

/**
 * Abuse bounds of recurrence rules: only the frequencies a task manager needs, at most one
 * occurrence a day, evaluation bounded in iterations whatever the rule or the series start, and
 * an unknown zone evaluated as UTC instead of throwing.
 */

describe('frequency allow-list and one occurrence a day at most', () => {
  it.each([
    ['FREQ=SECONDLY', /FREQ must be one of DAILY, WEEKLY, MONTHLY, YEARLY/],
    ['FREQ=MINUTELY;INTERVAL=1', /FREQ must be one of/],
    ['FREQ=HOURLY', /FREQ must be one of/],
    ['FREQ=FORTNIGHTLY', /FREQ must be one of/],
    ['FREQ=DAILY;BYHOUR=8,9,10', /BYHOUR must be a single value/],
    ['FREQ=DAILY;BYMINUTE=0,15,30,45', /BYMINUTE must be a single value/],
    ['FREQ=YEARLY;BYWEEKNO=20', /BYWEEKNO is not supported/],
  ])('rejects %s', (rule, message) => {
    expect(recurrenceRuleProblem(rule)).toMatch(message);
  });

  it('still accepts one time of day', () => {
    expect(recurrenceRuleProblem('FREQ=DAILY;BYHOUR=8;BYMINUTE=30')).toBeNull();
  });
});

describe('bounded evaluation', () => {
  it('rejects a rule that never (or only rarely) occurs, without iterating to year 9999', () => {
    for (const rule of [
      'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30',
      'FREQ=WEEKLY;BYMONTH=4;BYMONTHDAY=31',
      'FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=31',
      'FREQ=DAILY;BYSETPOS=2',
    ]) {
      expect(recurrenceRuleProblem(rule)).toMatch(/no occurrence within 10 years/);
    }
    const { options } = parseRule('FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', 'UTC');
    const result = boundedNext(options, new Date(0), new Date(0));
    expect(result.date).toBeNull();
    expect(result.exhausted).toBe(true);
    // Ten years of days and a little more, not 8,000 years.
    expect(result.periods).toBeLessThan(3_700);
  });

  it('a leap-day rule is fine (every four years)', () => {
    expect(recurrenceRuleProblem('FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29')).toBeNull();
  });

  it('a series that started in year 1 is evaluated from near `after`, not from its start', () => {
    const { options } = parseRule('FREQ=DAILY', 'UTC');
    const start = new Date('0001-01-01T09:00:00Z');
    const result = boundedNext(options, start, new Date('2026-03-23T10:00:00Z'));
    expect(result.date?.toISOString()).toBe('2026-03-24T09:00:00.000Z');
    expect(result.periods).toBeLessThanOrEqual(3);
  });

  it('gives the same occurrence as rrule unbounded, for any allowed rule, start and instant', () => {
    const day = fc.constantFrom('MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU');
    const rule = fc
      .record({
        freq: fc.constantFrom('DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'),
        interval: fc.integer({ min: 1, max: 5 }),
        byday: fc.option(fc.uniqueArray(day, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        bymonthday: fc.option(fc.integer({ min: 1, max: 28 }), { nil: undefined }),
        bymonth: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
        byhour: fc.option(fc.integer({ min: 0, max: 23 }), { nil: undefined }),
      })
      .map((r) =>
        [
          `FREQ=${r.freq}`,
          `INTERVAL=${String(r.interval)}`,
          r.byday === undefined ? '' : `BYDAY=${r.byday.join(',')}`,
          r.bymonthday === undefined ? '' : `BYMONTHDAY=${String(r.bymonthday)}`,
          r.bymonth === undefined ? '' : `BYMONTH=${String(r.bymonth)}`,
          r.byhour === undefined ? '' : `BYHOUR=${String(r.byhour)}`,
        ]
          .filter((p) => p !== '')
          .join(';'),
      );
    const instant = fc
      .integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) })
      .map((ms) => new Date(ms - (ms % 60_000)));
    fc.assert(
      fc.property(rule, instant, instant, (text, a, b) => {
        const [start, after] = a <= b ? [a, b] : [b, a];
        const { options } = parseRule(text, 'UTC');
        const plain = new RRule({ ...options, dtstart: start }).after(after, false);
        const bounded = boundedNext(options, start, after);
        if (bounded.exhausted) {
          // Nothing within the horizon: rrule finds nothing there either.
          const horizon = new Date(after.getTime() + 10 * 365 * 86_400_000);
          expect(plain === null || plain > horizon).toBe(true);
        } else {
          expect(bounded.date?.toISOString()).toBe(plain?.toISOString());
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('time zones', () => {
  it('an unknown zone is evaluated as UTC, and says so', () => {
    expect(resolveZone('Foo/Bar')).toEqual({ zone: 'UTC', known: false });
    expect(resolveZone('Europe/Berlin')).toEqual({ zone: 'Europe/Berlin', known: true });
    const next = nextOccurrence(
      { rule: 'FREQ=DAILY', timezone: 'Foo/Bar' },
      new Date('2026-03-23T08:00:00Z'),
      new Date('2026-03-23T08:00:00Z'),
    );
    expect(next?.toISOString()).toBe('2026-03-24T08:00:00.000Z');
  });

  it('the task schema refuses an unknown zone, naming the field', () => {
    const bad = recurrenceSchema.safeParse({ rule: 'FREQ=DAILY', timezone: 'Foo/Bar' });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['timezone']);
  });
});
