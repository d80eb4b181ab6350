import { Timestamp, type DocumentData, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { channelAllowed } from '../notifications/delivery-policy';
import {
  DEFAULT_PREFERENCES,
  notificationPreferencesSchema,
  type NotificationPreferences,
} from '../users/preferences.schema';
import { DIGEST_PERIODS, type DigestScheduleDoc } from './digest.schema';
import { nextOccurrence, type DigestPeriod, type DigestTiming } from './digest-time';
import { safeZone } from '../../core/time-zone';
import { USERS, DIGEST_SCHEDULE } from '../../storage/collections';
import { digestScheduleConverter } from '../../storage/refs';

/**
 * Keeps `digestSchedule/{uid}_{period}` in step with the profile, so the sweep finds due users
 * with one indexed range query instead of scanning `users`.
 *
 * Called when the digest inputs may have changed: the preferences API, profile creation, and the
 * `users/{uid}` write trigger (the app writes `timezone` and preferences straight to Firestore).
 * A call whose inputs match the stored ones writes nothing and keeps a digest that is due but
 * not yet swept; changed inputs move the next digest, never to a date or ISO week already served.
 *
 * This module imports nothing from the users services (they call it), hence its own reading of
 * the profile below.
 */

/** The category (and preference) of each period's email. */
export const DIGEST_CATEGORY = { daily: 'daily_summary', weekly: 'weekly_summary' } as const;

/** `digestSchedule/{uid}_{period}`: one schedule per user and period. */
export function scheduleDocId(uid: string, period: DigestPeriod): string {
  return `${uid}_${period}`;
}

/** What a profile says about one period's digest. */
export interface DigestInputs extends DigestTiming {
  /** The user wants this summary by email (and has an address): see {@link digestInputsOf}. */
  enabled: boolean;
}

function preferencesOf(stored: unknown): NotificationPreferences {
  const out: Record<string, unknown> = { ...DEFAULT_PREFERENCES };
  if (stored === null || typeof stored !== 'object') return out as NotificationPreferences;
  // Key by key over the defaults, as users/preferences.service `resolvePreferences` reads them.
  for (const [key, schema] of Object.entries(notificationPreferencesSchema.shape)) {
    if (!(key in stored)) continue;
    const parsed = schema.safeParse((stored as Record<string, unknown>)[key]);
    if (parsed.success) out[key] = parsed.data;
  }
  return out as NotificationPreferences;
}

/**
 * The digest inputs of a `users/{uid}` document (undefined: no profile). A summary is enabled
 * when the notification engine would send its email — `emailNotifications`, `dailySummary` /
 * `weeklySummary`, `emailFrequency` (delivery-policy `channelAllowed`) — and there is an address.
 */
export function digestInputsOf(
  profile: DocumentData | undefined,
): Record<DigestPeriod, DigestInputs> | null {
  if (profile === undefined) return null;
  const prefs = preferencesOf(profile.notificationPreferences);
  const email: unknown = profile.email;
  const hasEmail = typeof email === 'string' && email.trim() !== '';
  const timing: DigestTiming = {
    timezone: safeZone(profile.timezone),
    hour: prefs.digestHour,
    weekday: prefs.weeklyDigestDay,
  };
  const enabled = (period: DigestPeriod) =>
    hasEmail && channelAllowed(prefs, DIGEST_CATEGORY[period], 'email').send;
  return {
    daily: { ...timing, enabled: enabled('daily') },
    weekly: { ...timing, enabled: enabled('weekly') },
  };
}

function sameInputs(doc: DigestScheduleDoc, inputs: DigestInputs, period: DigestPeriod): boolean {
  return (
    doc.enabled === inputs.enabled &&
    doc.timezone === inputs.timezone &&
    doc.hour === inputs.hour &&
    (period === 'daily' || doc.weekday === inputs.weekday)
  );
}

/** Whether a profile write changed anything a digest schedule depends on. */
export function digestInputsChanged(
  before: DocumentData | undefined,
  after: DocumentData | undefined,
): boolean {
  return JSON.stringify(digestInputsOf(before)) !== JSON.stringify(digestInputsOf(after));
}

/**
 * The schedule document of one period for `inputs` at `now`: the next digest after
 * `lastLocalDate` (the last one enqueued), or none while the summary is off.
 */
export function plannedSchedule(
  uid: string,
  period: DigestPeriod,
  inputs: DigestInputs,
  now: Date,
  lastLocalDate: string | null,
): DigestScheduleDoc {
  const next = inputs.enabled ? nextOccurrence(period, inputs, now, lastLocalDate) : null;
  return {
    uid,
    period,
    nextAt: next === null ? null : Timestamp.fromDate(next.at),
    localDate: next?.localDate ?? null,
    lastLocalDate,
    timezone: inputs.timezone,
    hour: inputs.hour,
    weekday: inputs.weekday,
    enabled: inputs.enabled,
    updatedAt: Timestamp.fromDate(now),
  };
}

/** The schedule of one period as {@link scheduleUserDigest} leaves it. */
export interface PeriodSchedule {
  nextAt: Date | null;
  localDate: string | null;
  /** Whether this call wrote the schedule document. */
  changed: boolean;
}

/**
 * Brings the user's two schedule documents in line with their profile (3 document reads; a
 * write only for what changed). No profile: the schedule documents are deleted.
 */
export async function scheduleUserDigest(
  db: Firestore,
  clock: Clock,
  uid: string,
): Promise<Record<DigestPeriod, PeriodSchedule>> {
  const refs = DIGEST_PERIODS.map((p) => db.collection(DIGEST_SCHEDULE).doc(scheduleDocId(uid, p)));
  const [profile, ...current] = await db.getAll(db.collection(USERS).doc(uid), ...refs);
  const inputs = digestInputsOf(profile?.exists === true ? profile.data() : undefined);
  const now = clock.now();
  const batch = db.batch();
  let writes = 0;
  const result = {} as Record<DigestPeriod, PeriodSchedule>;
  DIGEST_PERIODS.forEach((period, i) => {
    const ref = refs[i];
    const snap = current[i];
    if (ref === undefined || snap === undefined) return;
    const existing = digestScheduleConverter.read(snap) ?? null;
    const want = inputs?.[period];
    if (want === undefined) {
      if (existing !== null) {
        batch.delete(ref);
        writes++;
      }
      result[period] = { nextAt: null, localDate: null, changed: existing !== null };
      return;
    }
    if (existing !== null && sameInputs(existing, want, period)) {
      result[period] = {
        nextAt: existing.nextAt?.toDate() ?? null,
        localDate: existing.localDate,
        changed: false,
      };
      return;
    }
    const doc = plannedSchedule(uid, period, want, now, existing?.lastLocalDate ?? null);
    batch.set(ref, doc);
    writes++;
    result[period] = {
      nextAt: doc.nextAt?.toDate() ?? null,
      localDate: doc.localDate,
      changed: true,
    };
  });
  if (writes > 0) await batch.commit();
  return result;
}

/**
 * The `users/{uid}` write trigger's part: reschedules only when the write changed a digest input
 * (time zone, digest hour or weekday, the switches, the address) — most profile writes read
 * nothing here.
 */
export async function syncDigestSchedule(
  db: Firestore,
  clock: Clock,
  uid: string,
  change: { before: DocumentData | undefined; after: DocumentData | undefined },
): Promise<{ rescheduled: boolean }> {
  if (!digestInputsChanged(change.before, change.after)) return { rescheduled: false };
  await scheduleUserDigest(db, clock, uid);
  return { rescheduled: true };
}
