import { formatInTimeZone } from 'date-fns-tz';
import {
  addDays,
  digestKey,
  digestWindow,
  isoWeekKey,
  isoWeekday,
  localInstant,
  nextOccurrence,
  rangeLabel,
  startOfLocalDay,
  type DigestTiming,
} from '../../src/domain/digests/digest-time';
import { localDateOf, safeZone } from '../../src/core/time-zone';

/**
 * When digests go out: local wall-clock hours to instants across the 2026 DST changes and in
 * 30/45-minute offset zones, one digest per local day (or ISO week), and what each one covers.
 */

const wall = (d: Date, zone: string) => formatInTimeZone(d, zone, 'yyyy-MM-dd HH:mm xxx');

/** The 2026 DST change days of the zones tested here (Asia/Kolkata has none). */
const CHANGE_DAYS: readonly [zone: string, date: string][] = [
  ['America/New_York', '2026-03-08'],
  ['America/New_York', '2026-11-01'],
  ['Europe/London', '2026-03-29'],
  ['Europe/London', '2026-10-25'],
  ['Australia/Lord_Howe', '2026-04-05'],
  ['Australia/Lord_Howe', '2026-10-04'],
  ['Pacific/Chatham', '2026-04-05'],
  ['Pacific/Chatham', '2026-09-27'],
];
const ZONES = [
  'America/New_York',
  'Europe/London',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
];

describe('localInstant', () => {
  it.each([
    // An ordinary day, and the offset zones.
    ['Asia/Kolkata', '2026-03-08', 8, '2026-03-08 08:00 +05:30'],
    ['Asia/Kathmandu', '2026-03-08', 8, '2026-03-08 08:00 +05:45'],
    ['Pacific/Chatham', '2026-06-01', 8, '2026-06-01 08:00 +12:45'],
    ['Australia/Lord_Howe', '2026-06-01', 8, '2026-06-01 08:00 +10:30'],
    // Spring forward: the hour does not exist → the first instant after the gap.
    ['America/New_York', '2026-03-08', 2, '2026-03-08 03:00 -04:00'],
    ['Europe/London', '2026-03-29', 1, '2026-03-29 02:00 +01:00'],
    ['Australia/Lord_Howe', '2026-10-04', 2, '2026-10-04 02:30 +11:00'],
    ['Pacific/Chatham', '2026-09-27', 3, '2026-09-27 03:45 +13:45'],
    ['America/Santiago', '2026-09-06', 0, '2026-09-06 01:00 -03:00'],
    // Fall back: the hour exists twice → the first occurrence.
    ['America/New_York', '2026-11-01', 1, '2026-11-01 01:00 -04:00'],
    ['Europe/London', '2026-10-25', 1, '2026-10-25 01:00 +01:00'],
    ['Pacific/Chatham', '2026-04-05', 3, '2026-04-05 03:00 +13:45'],
    // Hours next to the changes are untouched.
    ['America/New_York', '2026-03-08', 8, '2026-03-08 08:00 -04:00'],
    ['America/New_York', '2026-11-01', 8, '2026-11-01 08:00 -05:00'],
    ['Australia/Lord_Howe', '2026-04-05', 1, '2026-04-05 01:00 +11:00'],
  ])('%s %s %i:00 → %s', (zone, date, hour, expected) => {
    expect(wall(localInstant(date, hour, zone), zone)).toBe(expected);
  });

  it.each(CHANGE_DAYS)(
    'every hour of %s %s: on that date, the first instant showing HH:00 or later',
    (zone, date) => {
      for (let hour = 0; hour < 24; hour++) {
        const at = localInstant(date, hour, zone);
        const shown = formatInTimeZone(at, zone, 'yyyy-MM-dd HH:mm');
        const want = `${date} ${String(hour).padStart(2, '0')}:00`;
        expect(localDateOf(at, zone)).toBe(date);
        expect(shown >= want).toBe(true);
        // One minute earlier the wall clock showed less: nothing earlier qualifies.
        expect(
          formatInTimeZone(new Date(at.getTime() - 60_000), zone, 'yyyy-MM-dd HH:mm') < want,
        ).toBe(true);
      }
    },
  );

  it('an unknown zone is refused; safeZone falls back to UTC', () => {
    expect(() => localInstant('2026-03-08', 8, 'Mars/Olympus_Mons')).toThrow();
    expect(safeZone('Mars/Olympus_Mons')).toBe('UTC');
    expect(safeZone(undefined)).toBe('UTC');
    expect(safeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
  });

  it('startOfLocalDay: local midnight, or the first instant of a day whose midnight is skipped', () => {
    expect(startOfLocalDay('2026-03-08', 'America/New_York').toISOString()).toBe(
      '2026-03-08T05:00:00.000Z',
    );
    expect(wall(startOfLocalDay('2026-09-06', 'America/Santiago'), 'America/Santiago')).toBe(
      '2026-09-06 01:00 -03:00',
    );
  });
});

describe('civil dates and ISO weeks', () => {
  it('adds days across months and years; ISO weekdays', () => {
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(isoWeekday('2026-03-09')).toBe(1);
    expect(isoWeekday('2026-03-08')).toBe(7);
  });

  it.each([
    ['2026-01-01', '2026-W01'],
    ['2025-12-29', '2026-W01'],
    ['2026-12-31', '2026-W53'],
    ['2027-01-01', '2026-W53'],
    ['2027-01-04', '2027-W01'],
    ['2021-01-03', '2020-W53'],
    ['2026-03-09', '2026-W11'],
  ])('isoWeekKey(%s) = %s', (date, key) => {
    expect(isoWeekKey(date)).toBe(key);
  });

  it('digestKey: the date for daily, the ISO week for weekly', () => {
    expect(digestKey('daily', '2026-03-09')).toBe('2026-03-09');
    expect(digestKey('weekly', '2026-03-09')).toBe('2026-W11');
  });
});

/** Walks the schedule as the sweep does: each next digest after the previous one. */
function walk(period: 'daily' | 'weekly', timing: DigestTiming, from: string, to: string) {
  const out: { localDate: string; at: Date }[] = [];
  let now = new Date(`${from}T00:00:00Z`);
  let after: string | null = null;
  const end = new Date(`${to}T00:00:00Z`).getTime();
  while (now.getTime() < end) {
    const next = nextOccurrence(period, timing, now, after);
    out.push(next);
    after = next.localDate;
    now = next.at;
  }
  return out;
}

describe('nextOccurrence', () => {
  it.each(ZONES.flatMap((zone) => [0, 1, 2, 3, 8].map((hour) => [zone, hour] as const)))(
    'daily in %s at %i:00 through 2026: every local date once, in order, at its hour',
    (zone, hour) => {
      const seq = walk('daily', { timezone: zone, hour, weekday: 1 }, '2026-01-01', '2027-01-01');
      const first = seq[0]?.localDate ?? '';
      expect(seq.map((s) => s.localDate)).toEqual(seq.map((_, i) => addDays(first, i)));
      // Consecutive from the first days of 2026 past its last: no date of the year is missing.
      expect(first <= '2026-01-01' || first === addDays('2026-01-01', 1)).toBe(true);
      expect((seq.at(-1)?.localDate ?? '') >= '2026-12-31').toBe(true);
      const wrong = seq.filter(
        (s) =>
          s.at.getTime() !== localInstant(s.localDate, hour, zone).getTime() ||
          localDateOf(s.at, zone) !== s.localDate,
      );
      expect(wrong).toEqual([]);
    },
  );

  it.each(ZONES)('weekly in %s on Wednesdays: one per ISO week, Wednesdays only', (zone) => {
    const seq = walk('weekly', { timezone: zone, hour: 8, weekday: 3 }, '2026-01-01', '2027-01-01');
    expect(seq.every((s) => isoWeekday(s.localDate) === 3)).toBe(true);
    const weeks = seq.map((s) => isoWeekKey(s.localDate));
    expect(new Set(weeks).size).toBe(weeks.length);
    for (let i = 1; i < seq.length; i++) {
      expect(seq[i]?.localDate).toBe(addDays(seq[i - 1]?.localDate ?? '', 7));
    }
  });

  it('today when the hour is still ahead, else tomorrow; never a date already served', () => {
    const timing = { timezone: 'Asia/Kolkata', hour: 8, weekday: 1 };
    // 07:59 in Kolkata.
    const before = new Date('2026-03-09T02:29:00Z');
    expect(nextOccurrence('daily', timing, before, null).localDate).toBe('2026-03-09');
    // Exactly 08:00: that one is being sent; the next is tomorrow.
    const at = new Date('2026-03-09T02:30:00Z');
    expect(nextOccurrence('daily', timing, at, null).localDate).toBe('2026-03-10');
    // Today's was enqueued (after = today): tomorrow, even when the hour moved later today.
    expect(nextOccurrence('daily', { ...timing, hour: 20 }, before, '2026-03-09').localDate).toBe(
      '2026-03-10',
    );
  });

  it('weekly: a weekday moved later within a served ISO week waits for the next week', () => {
    // Monday 2026-03-09's digest was enqueued; the user switches to Friday.
    const now = new Date('2026-03-09T12:00:00Z');
    const next = nextOccurrence(
      'weekly',
      { timezone: 'UTC', hour: 8, weekday: 5 },
      now,
      '2026-03-09',
    );
    expect(next.localDate).toBe('2026-03-20');
    // Without a served week, this Friday.
    expect(
      nextOccurrence('weekly', { timezone: 'UTC', hour: 8, weekday: 5 }, now, null).localDate,
    ).toBe('2026-03-13');
  });

  it('a zone change never repeats a local date already served', () => {
    // Served 2026-03-09 in Chatham (+13:45); the user moves to Honolulu (−10:00), where it is
    // still 2026-03-08.
    const now = new Date('2026-03-08T20:00:00Z');
    const next = nextOccurrence(
      'daily',
      { timezone: 'Pacific/Honolulu', hour: 8, weekday: 1 },
      now,
      '2026-03-09',
    );
    expect(next.localDate).toBe('2026-03-10');
  });
});

describe('digestWindow', () => {
  it('daily: the previous local day (23 hours on spring-forward day), compared with the one before', () => {
    const w = digestWindow('daily', '2026-03-09', 'America/New_York');
    expect(w.firstDate).toBe('2026-03-08');
    expect(w.lastDate).toBe('2026-03-08');
    expect(w.from.toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(w.to.toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(w.to.getTime() - w.from.getTime()).toBe(23 * 3_600_000);
    expect(w.previousFrom.toISOString()).toBe('2026-03-07T05:00:00.000Z');
    expect(w.previousTo).toEqual(w.from);
    expect(w.label).toBe('Sun 8 Mar 2026');
    expect(w.when).toBe('yesterday');
    expect(w.previousName).toBe('the day before');
  });

  it('daily after fall-back: a 25-hour day', () => {
    const w = digestWindow('daily', '2026-10-26', 'Europe/London');
    expect(w.to.getTime() - w.from.getTime()).toBe(25 * 3_600_000);
  });

  it('weekly on Monday: last week, Monday to Sunday, in the user zone', () => {
    const w = digestWindow('weekly', '2026-03-09', 'Pacific/Chatham');
    expect(w.firstDate).toBe('2026-03-02');
    expect(w.lastDate).toBe('2026-03-08');
    expect(wall(w.from, 'Pacific/Chatham')).toBe('2026-03-02 00:00 +13:45');
    expect(wall(w.to, 'Pacific/Chatham')).toBe('2026-03-09 00:00 +13:45');
    expect(wall(w.previousFrom, 'Pacific/Chatham')).toBe('2026-02-23 00:00 +13:45');
    expect(w.label).toBe('2–8 Mar 2026');
    expect(w.when).toBe('last week');
    expect(w.previousName).toBe('the week before');
  });

  it('weekly on another weekday: the seven days before it', () => {
    const w = digestWindow('weekly', '2026-03-13', 'UTC');
    expect(w.firstDate).toBe('2026-03-06');
    expect(w.lastDate).toBe('2026-03-12');
    expect(w.when).toBe('in the last 7 days');
    expect(w.previousName).toBe('the 7 days before');
  });

  it.each([
    ['2026-03-02', '2026-03-08', '2–8 Mar 2026'],
    ['2026-02-23', '2026-03-01', '23 Feb – 1 Mar 2026'],
    ['2025-12-29', '2026-01-04', '29 Dec 2025 – 4 Jan 2026'],
  ])('rangeLabel(%s, %s) = %s', (first, last, label) => {
    expect(rangeLabel(first, last)).toBe(label);
  });
});
