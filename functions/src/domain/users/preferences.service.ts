import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import { scheduleUserDigest } from '../digests/digest-schedule.service';
import {
  DEFAULT_PREFERENCES,
  notificationPreferencesSchema,
  type NotificationPreferences,
  type PreferencesPatch,
} from './preferences.schema';
import { USERS } from '../../storage/collections';

/**
 * Reads stored preferences over the defaults. A key that is missing — or, defensively, stored with
 * a value the schema does not accept — falls back to its default, so a user who never saved
 * anything gets the full default set.
 */
export function resolvePreferences(stored: unknown): NotificationPreferences {
  const resolved: Record<string, unknown> = { ...DEFAULT_PREFERENCES };
  if (stored === null || typeof stored !== 'object') return { ...DEFAULT_PREFERENCES };
  const shape = notificationPreferencesSchema.shape;
  for (const [key, fieldSchema] of Object.entries(shape)) {
    if (!(key in stored)) continue;
    const parsed = fieldSchema.safeParse((stored as Record<string, unknown>)[key]);
    if (parsed.success) resolved[key] = parsed.data;
  }
  return resolved as NotificationPreferences;
}

/** The user's preferences, defaults filled in. One document read. */
export async function getPreferences(
  db: Firestore,
  userId: string,
): Promise<NotificationPreferences> {
  const snap = await db.collection(USERS).doc(userId).get();
  return resolvePreferences(snap.get('notificationPreferences'));
}

/**
 * Merges `patch` into the stored preferences and returns the result. Lead times are de-duplicated
 * and sorted longest first so reminders are computed the same way whatever order a client sent.
 */
export async function updatePreferences(
  db: Firestore,
  clock: Clock,
  userId: string,
  patch: PreferencesPatch,
): Promise<NotificationPreferences> {
  const normalised: PreferencesPatch = { ...patch };
  if (patch.reminderLeadMinutes !== undefined) {
    normalised.reminderLeadMinutes = [...new Set(patch.reminderLeadMinutes)].sort((a, b) => b - a);
  }
  const ref = db.collection(USERS).doc(userId);
  // A set-merge touches only the given keys, so concurrent partial updates of different keys both
  // land; quietHours and reminderLeadMinutes are replaced whole, as their schema requires.
  await ref.set(
    {
      notificationPreferences: normalised,
      updatedAt: Timestamp.fromDate(clock.now()),
    },
    { merge: true },
  );
  // The digest schedule follows digestHour, weeklyDigestDay and the summary switches.
  await scheduleUserDigest(db, clock, userId);
  const snap = await ref.get();
  return resolvePreferences(snap.get('notificationPreferences'));
}
