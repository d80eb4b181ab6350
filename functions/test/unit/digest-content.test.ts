import {
  digestFigures,
  digestInsight,
  isEmptyDigest,
  type DigestContent,
  type DigestList,
} from '../../src/domain/digests/digest-content.service';
import { digestWindow } from '../../src/domain/digests/digest-time';
import { EMAIL_LIST_CAP, renderEmail } from '../../src/domain/notifications/email-templates';

/**
 * The figures and words of a digest, without Firestore: the trend, the insight sentence, what
 * counts as empty, and how the summary email shows totals larger than its lists.
 */

const listOf = (total: number): DigestList => ({
  items: Array.from({ length: Math.min(total, EMAIL_LIST_CAP) }, (_, i) => ({
    id: `t${i}`,
    title: `Task ${i}`,
    at: new Date('2026-03-08T12:00:00Z'),
  })),
  total,
});

const content = (
  completed: number,
  previous: number,
  upcoming = 0,
  overdue = 0,
): DigestContent => ({
  completed: listOf(completed),
  previousCompleted: previous,
  upcoming: listOf(upcoming),
  overdue: listOf(overdue),
});

const daily = digestWindow('daily', '2026-03-09', 'UTC');
const weekly = digestWindow('weekly', '2026-03-09', 'UTC');

describe('digestFigures', () => {
  it('counts the totals and the change against the previous period, in whole percent', () => {
    expect(digestFigures(content(12, 10, 3, 1))).toEqual({
      completed: 12,
      previousCompleted: 10,
      changePercent: 20,
      upcoming: 3,
      overdue: 1,
    });
    expect(digestFigures(content(2, 3)).changePercent).toBe(-33);
    expect(digestFigures(content(5, 0)).changePercent).toBeNull();
    expect(digestFigures(content(0, 0)).changePercent).toBeNull();
  });

  it('empty: nothing completed, nothing due soon, nothing overdue (the previous period does not count)', () => {
    expect(isEmptyDigest(digestFigures(content(0, 7)))).toBe(true);
    expect(isEmptyDigest(digestFigures(content(1, 0)))).toBe(false);
    expect(isEmptyDigest(digestFigures(content(0, 0, 1)))).toBe(false);
    expect(isEmptyDigest(digestFigures(content(0, 0, 0, 1)))).toBe(false);
  });
});

describe('digestInsight', () => {
  it.each([
    [daily, content(12, 10), 'You completed 12 tasks yesterday, up 20% on the day before (10).'],
    [weekly, content(12, 10), 'You completed 12 tasks last week, up 20% on the week before (10).'],
    [weekly, content(8, 10), 'You completed 8 tasks last week, down 20% on the week before (10).'],
    [daily, content(3, 3), 'You completed 3 tasks yesterday, as many as the day before.'],
    [daily, content(1, 0), 'You completed 1 task yesterday, up from none the day before.'],
    [
      daily,
      content(0, 2, 1),
      'No tasks completed yesterday, down from 2 tasks the day before. 1 task is due in the next 7 days.',
    ],
    [weekly, content(0, 0, 0, 3), 'No tasks completed last week. 3 tasks are overdue.'],
    [
      daily,
      content(4, 2, 5, 1),
      'You completed 4 tasks yesterday, up 100% on the day before (2). 1 task is overdue.',
    ],
  ])('%#: %s', (window, c, text) => {
    expect(digestInsight(digestFigures(c), window)).toBe(text);
  });
});

describe('summary email with totals beyond its lists', () => {
  it('counts, headings and "and N more" use the totals; the completed list says which days', () => {
    const email = renderEmail(
      {
        kind: 'summary',
        period: 'weekly',
        periodLabel: weekly.label,
        completed: listOf(25).items.map((t) => ({ title: t.title, url: `https://t.test/${t.id}` })),
        upcoming: [],
        overdue: listOf(12).items.map((t) => ({
          title: t.title,
          url: `https://t.test/${t.id}`,
          dueDate: t.at ?? new Date(0),
        })),
        insight: 'x',
        timeZone: 'UTC',
        completedWhen: weekly.when,
        totals: { completed: 25, upcoming: 0, overdue: 12 },
      },
      {
        unsubscribeUrl: 'https://t.test/u',
        preferencesUrl: 'https://t.test/p',
        appUrl: 'https://t.test/',
      },
    );
    expect(email.subject).toBe('Your weekly summary — 25 done, 0 due soon, 12 overdue');
    expect(email.text).toContain('2–8 Mar 2026');
    expect(email.text).toContain('Completed last week (25)');
    expect(email.text).toContain('- and 15 more: https://t.test/');
    expect(email.text).toContain('Overdue (12)');
    expect(email.text).toContain('- and 2 more: https://t.test/');
    expect(email.html).toContain('>Completed last week (25)</h2>');
  });

  it('without totals and completedWhen, the lists and the period decide (as before)', () => {
    const email = renderEmail(
      {
        kind: 'summary',
        period: 'daily',
        periodLabel: daily.label,
        completed: [],
        upcoming: [],
        overdue: [],
        insight: '',
        timeZone: 'UTC',
      },
      {
        unsubscribeUrl: 'https://t.test/u',
        preferencesUrl: 'https://t.test/p',
        appUrl: 'https://t.test/',
      },
    );
    expect(email.text).toContain('No tasks completed today.');
  });
});
