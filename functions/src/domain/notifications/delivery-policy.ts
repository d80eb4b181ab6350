import { fromZonedTime, toZonedTime } from 'date-fns-tz';
import type { NotificationPreferences } from '../users/preferences.schema';
import type { NotificationCategory } from './channels';

/**
 * The rules that decide, for one recipient, whether and when a push or an email goes out. Pure
 * functions of the preferences, the time zone and the instant, so they are tested without
 * Firestore; the engine (`delivery.service.ts`) applies them at enqueue time and again at send
 * time (a user may change their preferences while a push is held).
 */

export type Channel = 'push' | 'email';

/** The preference that switches a category on or off (`null`: admin messages, always on). */
export const CATEGORY_PREFERENCE: Record<
  NotificationCategory,
  | keyof Pick<
      NotificationPreferences,
      'taskAssignment' | 'taskStatusChange' | 'taskDueDate' | 'dailySummary' | 'weeklySummary'
    >
  | null
> = {
  task_assigned: 'taskAssignment',
  task_unassigned: 'taskAssignment',
  task_status_changed: 'taskStatusChange',
  task_completed: 'taskStatusChange',
  task_due_soon: 'taskDueDate',
  task_overdue: 'taskDueDate',
  daily_summary: 'dailySummary',
  weekly_summary: 'weeklySummary',
  broadcast: null,
  custom: null,
  // An invitation is sent once, on request of a member: not a category anyone subscribes to.
  workspace_invitation: null,
};

/** Summaries are emails only; everything else may go to both channels. */
const EMAIL_ONLY: ReadonlySet<NotificationCategory> = new Set(['daily_summary', 'weekly_summary']);

/** Task changes are the bursty kind: ten edits in a minute become one push and one email. */
export const COALESCED: ReadonlySet<NotificationCategory> = new Set([
  'task_assigned',
  'task_unassigned',
  'task_status_changed',
  'task_completed',
]);

export type ChannelDecision = { send: true } | { send: false; reason: string };

/**
 * Whether `channel` may carry a `category` notification to a user with `prefs`:
 * the channel switch (`pushNotifications` / `emailNotifications`), the category switch
 * (`taskAssignment`, …), and for summary emails `emailFrequency` ("never" stops them; "weekly"
 * stops the daily one). Admin broadcasts and custom notifications obey only the channel switch.
 */
export function channelAllowed(
  prefs: NotificationPreferences,
  category: NotificationCategory,
  channel: Channel,
): ChannelDecision {
  if (channel === 'push' && EMAIL_ONLY.has(category))
    return { send: false, reason: 'email_only_category' };
  const channelSwitch = channel === 'push' ? prefs.pushNotifications : prefs.emailNotifications;
  if (!channelSwitch) return { send: false, reason: `${channel}_disabled` };
  const pref = CATEGORY_PREFERENCE[category];
  if (pref !== null && !prefs[pref]) return { send: false, reason: `${pref}_disabled` };
  if (channel === 'email' && category === 'daily_summary' && prefs.emailFrequency !== 'daily')
    return { send: false, reason: `email_frequency_${prefs.emailFrequency}` };
  if (channel === 'email' && category === 'weekly_summary' && prefs.emailFrequency === 'never')
    return { send: false, reason: 'email_frequency_never' };
  return { send: true };
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function localDate(instant: Date, timeZone: string): string {
  const local = toZonedTime(instant, timeZone);
  const y = local.getFullYear();
  const mo = String(local.getMonth() + 1).padStart(2, '0');
  const d = String(local.getDate()).padStart(2, '0');
  return `${y}-${mo}-${d}`;
}

function addLocalDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * When quiet hours hold a push sent at `at`: the instant the window ends, or `null` when `at` is
 * outside quiet hours (or there are none). The window is in the user's own zone and may span
 * midnight ("22:00"–"07:00"); equal start and end mean no quiet hours. On a DST change the end is
 * the first instant the wall clock shows it (a 02:30 end in a spring-forward gap becomes 03:00).
 */
export function quietHoursEnd(
  quietHours: NotificationPreferences['quietHours'],
  timeZone: string,
  at: Date,
): Date | null {
  if (quietHours === null) return null;
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  if (start === end) return null;
  const local = toZonedTime(at, timeZone);
  const now = local.getHours() * 60 + local.getMinutes();
  const quiet = start < end ? now >= start && now < end : now >= start || now < end;
  if (!quiet) return null;
  const today = localDate(at, timeZone);
  // Before the end on the same local day (early morning, or a window inside one day), else tomorrow.
  const day = now < end ? today : addLocalDays(today, 1);
  let release = fromZonedTime(`${day}T${quietHours.end}:00`, timeZone);
  // An end inside a spring-forward gap resolves to an instant whose wall clock shows an earlier
  // time (still quiet); step to the first minute the wall clock reaches the end.
  for (let i = 0; i < 180; i++) {
    const wall = toZonedTime(release, timeZone);
    if (localDate(release, timeZone) !== day || wall.getHours() * 60 + wall.getMinutes() >= end)
      break;
    release = new Date(release.getTime() + 60_000);
  }
  return release;
}

/**
 * Delay before retry `attempt` (1-based count of failed attempts so far): 30 s, 1 min, 2 min, …
 * capped at 1 h, with a deterministic ±20 % spread from `seed` so a burst of failures does not
 * retry in lockstep (and tests stay exact).
 */
export function retryDelayMs(attempt: number, seed: string): number {
  const base = Math.min(30_000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
  let h = 0;
  for (const c of seed) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const spread = ((h % 41) - 20) / 100; // -0.20 … +0.20
  return Math.round(base * (1 + spread));
}
