import {
  channelAllowed,
  quietHoursEnd,
  retryDelayMs,
} from '../../src/domain/notifications/delivery-policy';
import {
  DEFAULT_PREFERENCES,
  type NotificationPreferences,
} from '../../src/domain/users/preferences.schema';

const prefs = (over: Partial<NotificationPreferences> = {}): NotificationPreferences => ({
  ...DEFAULT_PREFERENCES,
  ...over,
});
const night = { start: '22:00', end: '07:00' };

describe('channelAllowed (preferences × channel × category)', () => {
  it('defaults allow every task notification on both channels', () => {
    for (const category of [
      'task_assigned',
      'task_unassigned',
      'task_status_changed',
      'task_completed',
      'task_due_soon',
      'task_overdue',
    ] as const) {
      expect(channelAllowed(prefs(), category, 'push')).toEqual({ send: true });
      expect(channelAllowed(prefs(), category, 'email')).toEqual({ send: true });
    }
  });

  it('the channel switch turns off that channel only', () => {
    const p = prefs({ pushNotifications: false });
    expect(channelAllowed(p, 'task_assigned', 'push')).toEqual({
      send: false,
      reason: 'push_disabled',
    });
    expect(channelAllowed(p, 'task_assigned', 'email')).toEqual({ send: true });
    expect(channelAllowed(prefs({ emailNotifications: false }), 'broadcast', 'email')).toEqual({
      send: false,
      reason: 'email_disabled',
    });
  });

  it('each category switch governs its own categories', () => {
    expect(channelAllowed(prefs({ taskAssignment: false }), 'task_unassigned', 'push').send).toBe(
      false,
    );
    expect(channelAllowed(prefs({ taskAssignment: false }), 'task_completed', 'push').send).toBe(
      true,
    );
    expect(channelAllowed(prefs({ taskStatusChange: false }), 'task_completed', 'email')).toEqual({
      send: false,
      reason: 'taskStatusChange_disabled',
    });
    expect(channelAllowed(prefs({ taskDueDate: false }), 'task_overdue', 'push').send).toBe(false);
  });

  it('summaries are email only and follow emailFrequency', () => {
    expect(channelAllowed(prefs(), 'daily_summary', 'push')).toEqual({
      send: false,
      reason: 'email_only_category',
    });
    expect(channelAllowed(prefs(), 'daily_summary', 'email')).toEqual({ send: true });
    expect(channelAllowed(prefs({ emailFrequency: 'weekly' }), 'daily_summary', 'email')).toEqual({
      send: false,
      reason: 'email_frequency_weekly',
    });
    expect(channelAllowed(prefs({ emailFrequency: 'weekly' }), 'weekly_summary', 'email')).toEqual({
      send: true,
    });
    expect(channelAllowed(prefs({ emailFrequency: 'never' }), 'weekly_summary', 'email').send).toBe(
      false,
    );
    expect(channelAllowed(prefs({ dailySummary: false }), 'daily_summary', 'email').send).toBe(
      false,
    );
  });

  it('admin broadcasts obey only the channel switches', () => {
    const p = prefs({ taskAssignment: false, taskStatusChange: false, taskDueDate: false });
    expect(channelAllowed(p, 'broadcast', 'push')).toEqual({ send: true });
    expect(channelAllowed(p, 'custom', 'email')).toEqual({ send: true });
  });
});

describe('quietHoursEnd (in the recipient’s own zone)', () => {
  it('holds a push at 23:00 in Asia/Kolkata (+05:30) until 07:00 local the next morning', () => {
    // 23:00 IST on 23 Nov = 17:30 UTC; 07:00 IST on 24 Nov = 01:30 UTC.
    const end = quietHoursEnd(night, 'Asia/Kolkata', new Date('2026-11-23T17:30:00Z'));
    expect(end?.toISOString()).toBe('2026-11-24T01:30:00.000Z');
  });

  it('after midnight the window ends the same local morning', () => {
    // 03:10 IST on 24 Nov = 21:40 UTC on 23 Nov.
    const end = quietHoursEnd(night, 'Asia/Kolkata', new Date('2026-11-23T21:40:00Z'));
    expect(end?.toISOString()).toBe('2026-11-24T01:30:00.000Z');
  });

  it('outside the window nothing is held; the end itself is outside, the start inside', () => {
    expect(quietHoursEnd(night, 'Asia/Kolkata', new Date('2026-11-23T10:00:00Z'))).toBeNull();
    expect(quietHoursEnd(night, 'Asia/Kolkata', new Date('2026-11-24T01:30:00Z'))).toBeNull();
    // 22:00 IST = 16:30 UTC.
    expect(quietHoursEnd(night, 'Asia/Kolkata', new Date('2026-11-23T16:30:00Z'))).not.toBeNull();
  });

  it('a window inside one day (13:00–14:00) and none at all', () => {
    const lunch = { start: '13:00', end: '14:00' };
    expect(
      quietHoursEnd(lunch, 'Europe/Berlin', new Date('2026-11-23T12:30:00Z'))?.toISOString(),
    ).toBe('2026-11-23T13:00:00.000Z');
    expect(quietHoursEnd(lunch, 'Europe/Berlin', new Date('2026-11-23T14:30:00Z'))).toBeNull();
    expect(quietHoursEnd(null, 'UTC', new Date('2026-11-23T23:00:00Z'))).toBeNull();
    expect(
      quietHoursEnd({ start: '08:00', end: '08:00' }, 'UTC', new Date('2026-11-23T08:00:00Z')),
    ).toBeNull();
  });

  it('works in a +12:45 zone (Pacific/Chatham)', () => {
    // 23:30 Chatham (+13:45 in southern summer) on 23 Nov = 09:45 UTC; 07:00 local = 17:15 UTC.
    const end = quietHoursEnd(night, 'Pacific/Chatham', new Date('2026-11-23T09:45:00Z'));
    expect(end?.toISOString()).toBe('2026-11-23T17:15:00.000Z');
  });

  it('across a DST change the end is local wall-clock time (America/New_York, 1 Nov 2026)', () => {
    // 23:00 EDT on 31 Oct = 03:00 UTC on 1 Nov; clocks go back at 02:00; 07:00 EST = 12:00 UTC.
    const end = quietHoursEnd(night, 'America/New_York', new Date('2026-11-01T03:00:00Z'));
    expect(end?.toISOString()).toBe('2026-11-01T12:00:00.000Z');
  });

  it('an end inside the spring-forward gap is released at the first real instant after it', () => {
    // Europe/Berlin 29 Mar 2026: 02:00 → 03:00. Quiet 23:00–02:30; 02:30 does not exist.
    const gap = { start: '23:00', end: '02:30' };
    const end = quietHoursEnd(gap, 'Europe/Berlin', new Date('2026-03-28T23:30:00Z'));
    // The first instant the wall clock reaches 02:30 is 03:00 CEST = 01:00 UTC (not 01:30 CET).
    expect(end?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });
});

describe('retryDelayMs', () => {
  it('doubles from 30 s, capped at an hour, within ±20 %', () => {
    const within = (ms: number, base: number) => {
      expect(ms).toBeGreaterThanOrEqual(base * 0.8);
      expect(ms).toBeLessThanOrEqual(base * 1.2);
    };
    within(retryDelayMs(1, 'a'), 30_000);
    within(retryDelayMs(2, 'a'), 60_000);
    within(retryDelayMs(4, 'a'), 240_000);
    within(retryDelayMs(20, 'a'), 3_600_000);
  });

  it('is deterministic per record and spreads records apart', () => {
    expect(retryDelayMs(3, 'push_abc')).toBe(retryDelayMs(3, 'push_abc'));
    const spread = new Set(['a', 'b', 'c', 'd', 'e', 'f'].map((s) => retryDelayMs(3, s)));
    expect(spread.size).toBeGreaterThan(1);
  });
});
