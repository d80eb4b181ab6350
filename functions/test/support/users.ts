import type { NotificationPreferences } from '../../src/domain/users/preferences.schema';

/** What a test seeding a recipient may set on the profile; the rest has test defaults. */
export interface ProfileOverrides {
  timezone?: string;
  prefs?: Partial<NotificationPreferences>;
  /** null: no address; left out: `{uid}@taskflow.test`. */
  email?: string | null;
  locale?: string;
}

/**
 * A user profile as stored, for tests that seed recipients directly: named after the uid in
 * capitals, `{uid}@taskflow.test`, UTC, default preferences (an empty map). Pass what differs.
 */
export function profileDoc(uid: string, over: ProfileOverrides = {}): Record<string, unknown> {
  return {
    name: uid.toUpperCase(),
    email: over.email === undefined ? `${uid}@taskflow.test` : over.email,
    timezone: over.timezone ?? 'UTC',
    ...(over.locale === undefined ? {} : { locale: over.locale }),
    notificationPreferences: over.prefs ?? {},
  };
}
