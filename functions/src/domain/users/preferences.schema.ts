import { z } from 'zod';

const hhmm = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM')
  .meta({ example: '22:00' });

/**
 * A user's notification preferences. The first seven keys are the public REST contract;
 * the rest extend it for quiet hours, digest timing and reminder lead times.
 */
export const notificationPreferencesSchema = z
  .strictObject({
    emailNotifications: z.boolean(),
    pushNotifications: z.boolean(),
    dailySummary: z.boolean(),
    weeklySummary: z.boolean(),
    taskAssignment: z.boolean(),
    taskDueDate: z.boolean(),
    taskStatusChange: z.boolean(),
    emailFrequency: z.enum(['daily', 'weekly', 'never']),
    /** Local hour (0–23, in the user's time zone) at which summaries are sent. */
    digestHour: z.number().int().min(0).max(23),
    /** ISO weekday of the weekly summary: 1 = Monday … 7 = Sunday. */
    weeklyDigestDay: z.number().int().min(1).max(7),
    /** Push is held (not dropped) between start and end, in the user's time zone. */
    quietHours: z.strictObject({ start: hhmm, end: hhmm }).nullable(),
    /** Minutes before a due date at which reminders are sent. */
    reminderLeadMinutes: z.array(z.number().int().min(1).max(43_200)).max(5),
    /** After the first overdue notice, one follow-up a day (for up to 7 days) while still overdue. */
    overdueFollowUp: z.boolean(),
  })
  .meta({ id: 'NotificationPreferences' });

export type NotificationPreferences = z.infer<typeof notificationPreferencesSchema>;

export const DEFAULT_PREFERENCES: Readonly<NotificationPreferences> = Object.freeze({
  emailNotifications: true,
  pushNotifications: true,
  dailySummary: true,
  weeklySummary: true,
  taskAssignment: true,
  taskDueDate: true,
  taskStatusChange: true,
  emailFrequency: 'daily',
  digestHour: 8,
  weeklyDigestDay: 1,
  quietHours: null,
  reminderLeadMinutes: [1440, 60],
  overdueFollowUp: true,
});

/** A partial update: any subset of the keys, at least one, unknown keys rejected. */
export const preferencesPatchSchema = notificationPreferencesSchema
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'at least one preference is required' })
  .meta({ id: 'NotificationPreferencesPatch' });

export type PreferencesPatch = z.infer<typeof preferencesPatchSchema>;
