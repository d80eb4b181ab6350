import { formatInTimeZone } from 'date-fns-tz';
import { localDateOf } from '../../core/time-zone';

/**
 * When digests go out, in each user's own zone. Pure functions of dates, hours and IANA
 * zones, so DST and 30/45-minute offsets are tested without Firestore.
 *
 * Local dates are civil dates (`yyyy-MM-dd`); date arithmetic runs on UTC midnights standing for
 * them, so a 23- or 25-hour local day cannot shift a date. Only {@link localInstant} turns a
 * local wall-clock time into an instant, and it settles the two DST cases explicitly:
 * - a time that does not exist (spring-forward gap) → the first instant after the gap;
 * - a time that exists twice (fall-back) → its first occurrence only.
 * date-fns-tz `fromZonedTime` is not used for this: it answers these cases differently per zone
 * (a time before the gap for New York's spring-forward; the second occurrence for London's
 * fall-back), and its `getTimezoneOffset(zone, date)` reads `date` as a wall-clock time. Wall
 * clocks come from `Intl.DateTimeFormat` (ICU's tz database) directly, one formatter per zone.
 */

export type DigestPeriod = 'daily' | 'weekly';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

function civilMs(date: string): number {
  const [y = NaN, m = NaN, d = NaN] = date.split('-').map(Number);
  const ms = Date.UTC(y, m - 1, d);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${date}`);
  return ms;
}

const civilDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return civilDate(civilMs(date) + days * DAY_MS);
}

/** ISO weekday of a civil date: Monday 1 … Sunday 7. */
export function isoWeekday(date: string): number {
  const d = new Date(civilMs(date)).getUTCDay();
  return d === 0 ? 7 : d;
}

/**
 * ISO 8601 week of a civil date, `YYYY-Www` (the week-numbering year is the year of the week's
 * Thursday: 2027-01-01, a Friday, is in 2026-W53).
 */
export function isoWeekKey(date: string): string {
  const thursday = civilMs(addDays(date, 4 - isoWeekday(date)));
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

const wallClocks = new Map<string, (ms: number) => number>();

/**
 * The wall-clock reading in `zone` at instant `ms`, as milliseconds of the same reading in UTC
 * (so "reading minus instant" is the zone's offset then). Throws on an unknown zone.
 */
function wallClock(zone: string): (ms: number) => number {
  let read = wallClocks.get(zone);
  if (read === undefined) {
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    read = (ms: number) => {
      const f: Record<string, number> = {};
      for (const p of format.formatToParts(ms))
        if (p.type !== 'literal') f[p.type] = Number(p.value);
      const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = f;
      return Date.UTC(year, month - 1, day, hour, minute, second);
    };
    wallClocks.set(zone, read);
  }
  return read;
}

/**
 * The instant the wall clock in `zone` first shows `hour`:00 on `date`: in a spring-forward gap
 * the first instant after the gap (Lord Howe 02:00 on 2026-10-04 → 02:30 +11:00), on a fall-back
 * day the first of the two occurrences (New York 01:00 on 2026-11-01 → 01:00 −04:00).
 */
export function localInstant(date: string, hour: number, zone: string): Date {
  // The wall-clock reading as if it were UTC; offsets are "local minus UTC".
  const wall = civilMs(date) + hour * HOUR_MS;
  const wallAt = wallClock(zone);
  const offsetAt = (ms: number) => wallAt(ms) - ms;
  // The reading under the offsets in force well before and well after: the only two it can be
  // (a DST change is never within 36 hours of the next one).
  const candidates = [
    ...new Set([wall - offsetAt(wall - 36 * HOUR_MS), wall - offsetAt(wall + 36 * HOUR_MS)]),
  ].sort((a, b) => a - b);
  const first = candidates.find((c) => wallAt(c) === wall);
  if (first !== undefined) return new Date(first);
  // In a gap: the wall clock jumps past `wall` at the transition. Before the earliest reading it
  // shows less, at the latest more; the transition is a whole minute between them.
  let lo = candidates[0] ?? wall;
  let hi = candidates[candidates.length - 1] ?? wall;
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / (2 * MINUTE_MS)) * MINUTE_MS;
    if (wallAt(mid) >= wall) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The first instant of local `date` in `zone` (01:00 where midnight falls in a DST gap). */
export function startOfLocalDay(date: string, zone: string): Date {
  return localInstant(date, 0, zone);
}

/** What a user's digest times are computed from (their profile, resolved). */
export interface DigestTiming {
  /** A valid IANA zone ({@link safeZone}). */
  timezone: string;
  /** Local hour, 0–23. */
  hour: number;
  /** ISO weekday of the weekly digest, 1–7. */
  weekday: number;
}

/** One scheduled digest: its instant and the local date it is for. */
export interface DigestOccurrence {
  at: Date;
  localDate: string;
}

/**
 * The idempotency key of the digest sent on `localDate`: the date itself for the daily digest,
 * its ISO week for the weekly one — so at most one daily per local day and one weekly per ISO
 * week reach a user, whatever the schedule (or a changed weekday) does.
 */
export function digestKey(period: DigestPeriod, localDate: string): string {
  return period === 'daily' ? localDate : isoWeekKey(localDate);
}

/**
 * The next digest of `period` strictly after `now`, on a local date after `after` (the last one
 * enqueued) and, for the weekly digest, in a later ISO week than `after`. Days are never skipped
 * by DST: every local date has exactly one instant at which `hour`:00 first shows.
 */
export function nextOccurrence(
  period: DigestPeriod,
  timing: DigestTiming,
  now: Date,
  after: string | null,
): DigestOccurrence {
  const { timezone, hour, weekday } = timing;
  let date = localDateOf(now, timezone);
  if (after !== null && date <= after) date = addDays(after, 1);
  const step = period === 'daily' ? 1 : 7;
  if (period === 'weekly') date = addDays(date, (weekday - isoWeekday(date) + 7) % 7);
  const afterKey = after === null ? null : digestKey(period, after);
  // At most three steps: today's time may have passed, and a changed weekday may land in the
  // week already served.
  for (;;) {
    if (digestKey(period, date) !== afterKey) {
      const at = localInstant(date, hour, timezone);
      if (at.getTime() > now.getTime()) return { at, localDate: date };
    }
    date = addDays(date, step);
  }
}

/** The stretch a digest sent on `sendDate` reports on, and the one it is compared with. */
export interface DigestWindow {
  period: DigestPeriod;
  /** The local date the digest is sent on (its key's date). */
  sendDate: string;
  timeZone: string;
  /** First and last local dates reported on. */
  firstDate: string;
  lastDate: string;
  /** Completions in [from, to) count; local midnights as instants. */
  from: Date;
  to: Date;
  /** The previous stretch of the same length, for the trend. */
  previousFrom: Date;
  previousTo: Date;
  /** For the email: "Sun 8 Mar 2026", "2–8 Mar 2026". */
  label: string;
  /** "yesterday", "last week" (an ISO week, Monday–Sunday) or "in the last 7 days". */
  when: string;
  /** What the trend compares with: "the day before", "the week before". */
  previousName: string;
}

function dateLabel(date: string, pattern: string): string {
  return formatInTimeZone(new Date(civilMs(date)), 'UTC', pattern);
}

/** "2–8 Mar 2026", "23 Feb – 1 Mar 2026", "29 Dec 2025 – 4 Jan 2026". */
export function rangeLabel(first: string, last: string): string {
  if (first.slice(0, 4) !== last.slice(0, 4))
    return `${dateLabel(first, 'd MMM yyyy')} – ${dateLabel(last, 'd MMM yyyy')}`;
  if (first.slice(0, 7) !== last.slice(0, 7))
    return `${dateLabel(first, 'd MMM')} – ${dateLabel(last, 'd MMM yyyy')}`;
  return `${dateLabel(first, 'd')}–${dateLabel(last, 'd MMM yyyy')}`;
}

/**
 * What a digest sent on `sendDate` covers. It goes out in the morning (digestHour, 08:00 by
 * default), so it reports on finished days: the daily digest on the previous local day, the
 * weekly one on the seven local days before its weekday (Monday's: last week, Monday–Sunday).
 * The trend compares with the stretch of equal length just before.
 */
export function digestWindow(period: DigestPeriod, sendDate: string, zone: string): DigestWindow {
  const days = period === 'daily' ? 1 : 7;
  const firstDate = addDays(sendDate, -days);
  const lastDate = addDays(sendDate, -1);
  const isoWeek = period === 'weekly' && isoWeekday(firstDate) === 1;
  return {
    period,
    sendDate,
    timeZone: zone,
    firstDate,
    lastDate,
    from: startOfLocalDay(firstDate, zone),
    to: startOfLocalDay(sendDate, zone),
    previousFrom: startOfLocalDay(addDays(firstDate, -days), zone),
    previousTo: startOfLocalDay(firstDate, zone),
    label:
      period === 'daily' ? dateLabel(firstDate, 'EEE d MMM yyyy') : rangeLabel(firstDate, lastDate),
    when: period === 'daily' ? 'yesterday' : isoWeek ? 'last week' : 'in the last 7 days',
    previousName:
      period === 'daily' ? 'the day before' : isoWeek ? 'the week before' : 'the 7 days before',
  };
}
