import { fromZonedTime } from 'date-fns-tz';
import { z } from 'zod';
import { localDateOf } from '../../core/time-zone';

/**
 * Summary periods, in the user's own time zone, as calendar dates (yyyy-MM-dd — the ids of the
 * day documents). Date arithmetic is done on civil dates (UTC midnights standing for dates), so a
 * DST change, which makes a local day 23 or 25 hours long, cannot shift a boundary; only the
 * conversion of a local midnight to an instant looks at the zone.
 */

export const summaryPeriodSchema = z.enum(['daily', 'weekly', 'monthly']);
export type SummaryPeriod = z.infer<typeof summaryPeriodSchema>;

const DAY_MS = 24 * 60 * 60 * 1000;

function toCivil(date: string): number {
  const [y = NaN, m = NaN, d = NaN] = date.split('-').map(Number);
  return Date.UTC(y, m - 1, d);
}

function fromCivil(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `date` plus `days` calendar days. */
export function addDays(date: string, days: number): string {
  return fromCivil(toCivil(date) + days * DAY_MS);
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((toCivil(to) - toCivil(from)) / DAY_MS);
}

/** ISO weekday: Monday 1 … Sunday 7. */
export function isoWeekday(date: string): number {
  const d = new Date(toCivil(date)).getUTCDay();
  return d === 0 ? 7 : d;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant local midnight starts `date` in `zone` (the first instant of that day there). */
export function startOfLocalDay(date: string, zone: string): Date {
  return fromZonedTime(`${date}T00:00:00`, zone);
}

/** One summary window: the current period up to today, and the matching part of the previous one. */
export interface PeriodWindow {
  period: SummaryPeriod;
  timezone: string;
  /** The user's local date now. */
  today: string;
  /** First day of the current period. */
  start: string;
  /** Last day of the current period (later than `today` until the period is over). */
  end: string;
  /** Days from `start` through `today`, inclusive (daily 1, weekly 1–7, monthly 1–31). */
  elapsedDays: number;
  /** The same elapsed stretch of the previous period: its first `elapsedDays` days (clamped). */
  previousStart: string;
  previousEnd: string;
  /** Local midnight at `start`, as an instant. */
  startsAt: Date;
}

/**
 * The window of `period` containing `now` in `zone`:
 * - daily: today;
 * - weekly: the ISO week, Monday to Sunday, containing today;
 * - monthly: the calendar month containing today.
 *
 * The previous window is the previous period cut at the same point: on a Wednesday, the previous
 * Monday–Wednesday; on the 10th, the previous month's 1st–10th (the whole previous month when it
 * is shorter). A period to date is so compared with a stretch of equal length, not with a whole
 * period (which would read as a decline every Monday).
 */
export function periodWindow(period: SummaryPeriod, now: Date, zone: string): PeriodWindow {
  const today = localDateOf(now, zone);
  let start: string;
  let end: string;
  let previousStart: string;
  let previousLength: number;
  switch (period) {
    case 'daily':
      start = end = today;
      previousStart = addDays(today, -1);
      previousLength = 1;
      break;
    case 'weekly':
      start = addDays(today, 1 - isoWeekday(today));
      end = addDays(start, 6);
      previousStart = addDays(start, -7);
      previousLength = 7;
      break;
    case 'monthly': {
      const [y = 0, m = 0] = today.split('-').map(Number);
      start = `${today.slice(0, 7)}-01`;
      end = addDays(start, daysInMonth(y, m) - 1);
      previousStart = fromCivil(Date.UTC(y, m - 2, 1));
      previousLength = daysInMonth(m === 1 ? y - 1 : y, m === 1 ? 12 : m - 1);
      break;
    }
  }
  const elapsedDays = daysBetween(start, today) + 1;
  return {
    period,
    timezone: zone,
    today,
    start,
    end,
    elapsedDays,
    previousStart,
    previousEnd: addDays(previousStart, Math.min(elapsedDays, previousLength) - 1),
    startsAt: startOfLocalDay(start, zone),
  };
}
