import {
  DEFAULT_PREFERENCES,
  preferencesPatchSchema,
} from '../../src/domain/users/preferences.schema';
import { resolvePreferences } from '../../src/domain/users/preferences.service';

describe('resolvePreferences', () => {
  it('returns the defaults for nothing stored', () => {
    expect(resolvePreferences(undefined)).toEqual(DEFAULT_PREFERENCES);
    expect(resolvePreferences(null)).toEqual(DEFAULT_PREFERENCES);
  });

  it('overlays valid stored keys and ignores invalid or unknown ones', () => {
    expect(
      resolvePreferences({
        pushNotifications: false,
        emailFrequency: 'hourly',
        digestHour: 30,
        legacyFlag: true,
        quietHours: { start: '23:30', end: '06:45' },
      }),
    ).toEqual({
      ...DEFAULT_PREFERENCES,
      pushNotifications: false,
      quietHours: { start: '23:30', end: '06:45' },
    });
  });
});

describe('preferencesPatchSchema', () => {
  it('accepts any non-empty subset', () => {
    expect(preferencesPatchSchema.safeParse({ quietHours: null }).success).toBe(true);
    expect(preferencesPatchSchema.safeParse({ reminderLeadMinutes: [60] }).success).toBe(true);
  });

  it.each([
    [{}],
    [{ unknown: true }],
    [{ quietHours: { start: '7:00', end: '08:00' } }],
    [{ quietHours: { start: '07:00' } }],
    [{ reminderLeadMinutes: [0] }],
    [{ reminderLeadMinutes: [1, 2, 3, 4, 5, 6] }],
    [{ weeklyDigestDay: 0 }],
    [{ digestHour: 7.5 }],
  ])('rejects %j', (patch) => {
    expect(preferencesPatchSchema.safeParse(patch).success).toBe(false);
  });
});
