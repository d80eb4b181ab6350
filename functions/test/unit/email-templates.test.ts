import type { EmailTemplateData } from '../../src/domain/notifications/channels';
import {
  EMAIL_LIST_CAP,
  formatLocalDateTime,
  renderEmail,
  type EmailRenderContext,
} from '../../src/domain/notifications/email-templates';

const ctx: EmailRenderContext = {
  recipientName: 'Ana',
  unsubscribeUrl: 'https://taskflow.test/api/unsubscribe?token=tok-123',
  preferencesUrl: 'https://taskflow.test/settings/notifications',
  appUrl: 'https://taskflow.test/',
  timeZone: 'Asia/Kolkata',
};

const at = (iso: string) => new Date(iso);

const assigned: EmailTemplateData = {
  kind: 'task_event',
  taskTitle: 'Write the launch post',
  taskUrl: 'https://taskflow.test/tasks/t1',
  projectName: 'Launch',
  dueDate: at('2026-11-23T12:00:00Z'),
  changes: [
    {
      category: 'task_assigned',
      text: 'Ben assigned this task to you',
      at: at('2026-11-23T10:00:00Z'),
    },
  ],
};

const dueSoon: EmailTemplateData = {
  kind: 'task_due',
  category: 'task_due_soon',
  taskTitle: 'Write the launch post',
  taskUrl: 'https://taskflow.test/tasks/t1',
  dueDate: at('2026-11-23T12:00:00Z'),
  timeZone: 'Asia/Kolkata',
};

type SummaryData = Extract<EmailTemplateData, { kind: 'summary' }>;

const task = (n: number) => ({ title: `Task ${n}`, url: `https://taskflow.test/tasks/${n}` });
const dueTask = (n: number, due: string) => ({ ...task(n), dueDate: at(due) });

const summary: SummaryData = {
  kind: 'summary',
  period: 'daily',
  periodLabel: 'Mon 23 Nov 2026',
  completed: [task(1), task(2), task(3), task(4)],
  upcoming: [dueTask(5, '2026-11-24T03:30:00Z'), dueTask(6, '2026-11-26T12:00:00Z')],
  overdue: [dueTask(7, '2026-11-20T12:00:00Z')],
  insight: 'You completed 4 tasks, 2 more than yesterday.',
  timeZone: 'America/New_York',
};

const message: EmailTemplateData = {
  kind: 'message',
  heading: 'Scheduled maintenance on Sunday',
  body: 'TaskFlow will be read-only on Sunday from 02:00 to 03:00 UTC.\n\nThanks for your patience.',
  actionUrl: 'https://status.taskflow.test/',
};

const invitation: EmailTemplateData = {
  kind: 'invitation',
  inviterName: 'ben@taskflow.test',
  workspaceName: 'Acme & Ops',
  role: 'admin',
  acceptUrl: 'https://taskflow.test/invitations/inv_1',
  expiresAt: at('2026-12-07T10:00:00Z'),
  timeZone: 'UTC',
};

const ALL: [string, EmailTemplateData][] = [
  ['task_event', assigned],
  ['task_due', dueSoon],
  ['summary', summary],
  ['message', message],
  ['invitation', invitation],
];

describe('invitation email', () => {
  it('names who invites, where, the role, the link and the expiry, with user text escaped', () => {
    const email = renderEmail(invitation, ctx);
    expect(email.subject).toBe('ben@taskflow.test invited you to Acme & Ops on TaskFlow');
    expect(email.text).toContain('invited you to the workspace Acme & Ops as an admin.');
    expect(email.text).toContain('https://taskflow.test/invitations/inv_1');
    expect(email.text).toContain('expires Mon 7 Dec, 10:00 (UTC)');
    expect(email.html).toContain('Acme &amp; Ops');
    expect(email.html).not.toContain('Acme & Ops<');
    expect(email.html).toContain('href="https://taskflow.test/invitations/inv_1"');
  });
});

/** Every opening tag of these elements, for checking inline styles. */
function tags(html: string, names: string[]): string[] {
  return [...html.matchAll(new RegExp(`<(${names.join('|')})\\b[^>]*>`, 'g'))].map((m) => m[0]);
}

describe('renderEmail: every kind', () => {
  it.each(ALL)('%s: subject, HTML document and text part', (_kind, data) => {
    const email = renderEmail(data, ctx);
    expect(email.subject.length).toBeGreaterThan(5);
    expect(email.subject.length).toBeLessThanOrEqual(100);
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(email.html).toContain('</html>');
    expect(email.text.length).toBeGreaterThan(50);
    expect(email.text).not.toMatch(/<[a-z]/i);
  });

  it.each(ALL)('%s: footer links in both parts; greeting', (_kind, data) => {
    const email = renderEmail(data, ctx);
    expect(email.text).toContain(`Unsubscribe: ${ctx.unsubscribeUrl}`);
    expect(email.text).toContain(`Email preferences: ${ctx.preferencesUrl}`);
    expect(email.html).toContain('href="https://taskflow.test/api/unsubscribe?token=tok-123"');
    expect(email.html).toContain(`href="${ctx.preferencesUrl}"`);
    expect(email.html).toContain('>Unsubscribe from these emails</a>');
    expect(email.text.startsWith('Hi Ana,\n')).toBe(true);
    expect(email.html).toContain('>Hi Ana,</p>');
  });

  it.each(ALL)(
    '%s: layout is inline-styled tables of at most 600px, no external CSS',
    (_k, data) => {
      const { html } = renderEmail(data, ctx);
      expect(html).not.toMatch(/<link\b/i);
      expect(html).not.toMatch(/@import/i);
      expect(html).not.toMatch(/<script\b/i);
      // One <style> block, only a media query (progressive enhancement), no layout rules.
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
      expect(styles).toHaveLength(1);
      expect(styles[0]).toMatch(/^@media only screen and \(max-width:620px\)\{.*\}$/);
      // Every element that shows something carries its own style (Outlook-only wrappers aside).
      const visible = html.replace(/<!--\[if mso\]>[\s\S]*?<!\[endif\]-->/g, '');
      for (const tag of tags(visible, ['td', 'p', 'a', 'h1', 'h2', 'body'])) {
        expect(tag).toMatch(/ style="[^"]+"/);
      }
      // The card is a table capped at 600px; nothing wider anywhere.
      expect(html).toContain('width="600"');
      expect(html).toContain('max-width:600px');
      const widths = [...html.matchAll(/width="(\d+)"/g)].map((m) => Number(m[1]));
      expect(Math.max(...widths)).toBeLessThanOrEqual(600);
      expect(html).not.toMatch(/<div(?![^>]*display:none)/);
    },
  );

  it.each(ALL)('%s: a hidden preheader first in the body', (_kind, data) => {
    const { html } = renderEmail(data, ctx);
    const body = html.slice(html.indexOf('<body'));
    const pre = /^<body[^>]*>\n<div style="display:none;[^"]*">([^<&]+)/.exec(body);
    expect(pre).not.toBeNull();
    expect(pre![1]!.trim().length).toBeGreaterThan(5);
  });

  it.each(ALL)('%s: deterministic (same input, same bytes)', (_kind, data) => {
    expect(renderEmail(data, ctx)).toEqual(renderEmail(data, ctx));
  });
});

describe('renderEmail: task_event', () => {
  it('one change: "Assigned: <title>", the change, project, due date and a button', () => {
    const email = renderEmail(assigned, ctx);
    expect(email.subject).toBe('Assigned: Write the launch post');
    expect(email.text).toContain('Write the launch post\n\nBen assigned this task to you');
    expect(email.text).toContain('Project: Launch · Due Mon 23 Nov, 17:30 (Asia/Kolkata)');
    expect(email.text).toContain('Open task: https://taskflow.test/tasks/t1');
    expect(email.html).toContain('href="https://taskflow.test/tasks/t1"');
    expect(email.text).toContain('because task assignment emails are on');
  });

  it.each([
    ['task_unassigned', 'Reassigned: Write the launch post'],
    ['task_status_changed', 'Status changed: Write the launch post'],
    ['task_completed', 'Completed: Write the launch post'],
  ] as const)('%s subject', (category, subject) => {
    const data = {
      ...assigned,
      changes: [{ category, text: 'x', at: at('2026-11-23T10:00:00Z') }],
    };
    expect(renderEmail(data, ctx).subject).toBe(subject);
  });

  it('a coalesced burst: "3 updates to …", changes oldest first with local times', () => {
    const data: EmailTemplateData = {
      ...assigned,
      changes: [
        {
          category: 'task_status_changed',
          text: 'Moved to In progress',
          at: at('2026-11-23T10:05:00Z'),
        },
        { category: 'task_assigned', text: 'Assigned to you', at: at('2026-11-23T10:01:00Z') },
        { category: 'task_completed', text: 'Marked done', at: at('2026-11-23T10:09:00Z') },
      ],
    };
    const email = renderEmail(data, ctx);
    expect(email.subject).toBe('3 updates to "Write the launch post"');
    expect(email.text).toContain(
      [
        '3 updates, oldest first (times in Asia/Kolkata):',
        '',
        '- Assigned to you (Mon 23 Nov, 15:31)',
        '- Moved to In progress (Mon 23 Nov, 15:35)',
        '- Marked done (Mon 23 Nov, 15:39)',
      ].join('\n'),
    );
    const order = ['Assigned to you', 'Moved to In progress', 'Marked done'].map((t) =>
      email.html.indexOf(`>${t}</span>`),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it(`a burst longer than ${EMAIL_LIST_CAP} is capped with "and N more"`, () => {
    const changes = Array.from({ length: 14 }, (_, i) => ({
      category: 'task_status_changed' as const,
      text: `Edit ${i + 1}`,
      at: new Date(Date.UTC(2026, 10, 23, 10, i)),
    }));
    const email = renderEmail({ ...assigned, changes }, ctx);
    expect(email.subject).toBe('14 updates to "Write the launch post"');
    expect(email.text).toContain('- Edit 10 (');
    expect(email.text).not.toContain('- Edit 11 (');
    expect(email.text).toContain('- and 4 more: https://taskflow.test/tasks/t1');
    expect(email.html).toContain('>and 4 more</a>');
    expect(email.html).not.toContain('>Edit 11<');
  });

  it('long titles are clipped in the subject, kept whole in the body', () => {
    const title = `Prepare ${'very '.repeat(30)}long agenda`;
    const email = renderEmail({ ...assigned, taskTitle: title }, ctx);
    expect(email.subject.length).toBeLessThanOrEqual('Assigned: '.length + 60);
    expect(email.subject.endsWith('…')).toBe(true);
    expect(email.text).toContain(title.replace(/\s+/g, ' '));
  });
});

describe('renderEmail: escaping user content', () => {
  const evil = 'Fix <script>alert("x")</script> & "quotes" \'too\'';

  it.each([
    ['task_event', { ...assigned, taskTitle: evil }],
    ['task_due', { ...dueSoon, taskTitle: evil }],
    ['summary', { ...summary, completed: [{ title: evil, url: 'https://taskflow.test/tasks/e' }] }],
    ['message', { ...message, heading: evil, body: evil }],
  ] as [string, EmailTemplateData][])(
    '%s: HTML gets entities, text and subject stay readable',
    (_k, data) => {
      const email = renderEmail(data, { ...ctx, recipientName: '<b>Ana</b>' });
      expect(email.html).not.toContain('<script>');
      expect(email.html).not.toContain('<b>Ana</b>');
      expect(email.html).toContain(
        'Fix &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;too&#39;',
      );
      expect(email.html).toContain('Hi &lt;b&gt;Ana&lt;/b&gt;,');
      expect(email.text).toContain(evil);
    },
  );

  it('the title in <title> and subject keeps its quotes; line breaks cannot reach the subject', () => {
    const email = renderEmail({ ...assigned, taskTitle: 'Say "hi"\r\nBcc: x@evil.test' }, ctx);
    expect(email.subject).toBe('Assigned: Say "hi" Bcc: x@evil.test');
    expect(email.html).toContain('<title>Assigned: Say &quot;hi&quot; Bcc: x@evil.test</title>');
  });

  it('links other than http(s)/mailto are dropped', () => {
    const email = renderEmail({ ...message, actionUrl: 'javascript:alert(1)' }, ctx);
    expect(email.html).not.toContain('javascript:');
    expect(email.text).not.toContain('javascript:');
    expect(email.html).not.toContain('View details');
  });
});

describe('renderEmail: task_due', () => {
  const now = at('2026-11-23T11:00:00Z');

  it('due soon with the render time: "Due in 1 hour: …" and the local due time', () => {
    const email = renderEmail(dueSoon, { ...ctx, now });
    expect(email.subject).toBe('Due in 1 hour: Write the launch post');
    expect(email.text).toContain('"Write the launch post" is due in 1 hour');
    expect(email.text).toContain('Due Mon 23 Nov, 17:30 (Asia/Kolkata).');
    expect(email.html).toContain('Due Mon 23 Nov, 17:30 (Asia/Kolkata).');
    expect(email.text).toContain('because due date reminders are on');
  });

  it.each([
    ['2026-11-23T11:02:00Z', 'Due in 1 hour'], // a reminder that fires late still reads 1 hour
    ['2026-11-23T11:30:00Z', 'Due in 30 minutes'],
    ['2026-11-22T12:00:00Z', 'Due in 24 hours'],
    ['2026-11-20T12:00:00Z', 'Due in 3 days'],
    ['2026-11-23T12:00:30Z', 'Due now'],
  ])('at %s: %s', (when, prefix) => {
    expect(renderEmail(dueSoon, { ...ctx, now: at(when) }).subject).toBe(
      `${prefix}: Write the launch post`,
    );
  });

  it('without the render time: "Due soon: …"', () => {
    expect(renderEmail(dueSoon, ctx).subject).toBe('Due soon: Write the launch post');
  });

  it('overdue: subject, local due time and how long ago', () => {
    const data: EmailTemplateData = { ...dueSoon, category: 'task_overdue' };
    const email = renderEmail(data, { ...ctx, now: at('2026-11-25T12:00:00Z') });
    expect(email.subject).toBe('Overdue: Write the launch post');
    expect(email.text).toContain('It was due Mon 23 Nov, 17:30 (Asia/Kolkata), 2 days ago.');
  });

  it('the due time follows the task zone: New York is 07:00 the same morning', () => {
    const email = renderEmail({ ...dueSoon, timeZone: 'America/New_York' }, ctx);
    expect(email.text).toContain('Due Mon 23 Nov, 07:00 (America/New_York).');
  });
});

describe('formatLocalDateTime', () => {
  const instant = at('2026-11-23T12:00:00Z');

  it.each([
    ['Asia/Kolkata', 'Mon 23 Nov, 17:30 (Asia/Kolkata)'], // +05:30
    ['America/New_York', 'Mon 23 Nov, 07:00 (America/New_York)'], // EST, −05:00
    ['Pacific/Kiritimati', 'Tue 24 Nov, 02:00 (Pacific/Kiritimati)'], // +14:00, next day
    ['UTC', 'Mon 23 Nov, 12:00 (UTC)'],
  ])('%s', (zone, expected) => {
    expect(formatLocalDateTime(instant, zone)).toBe(expected);
  });

  it('follows daylight saving time (New York in July is −04:00)', () => {
    expect(formatLocalDateTime(at('2026-07-06T12:00:00Z'), 'America/New_York')).toBe(
      'Mon 6 Jul, 08:00 (America/New_York)',
    );
  });

  it('12-hour clock for en-US, 24-hour for en-GB and unknown locales', () => {
    expect(formatLocalDateTime(instant, 'Asia/Kolkata', { locale: 'en-US' })).toBe(
      'Mon 23 Nov, 5:30 PM (Asia/Kolkata)',
    );
    expect(formatLocalDateTime(instant, 'Asia/Kolkata', { locale: 'en-GB' })).toBe(
      'Mon 23 Nov, 17:30 (Asia/Kolkata)',
    );
    expect(formatLocalDateTime(instant, 'Asia/Kolkata', { locale: 'not a locale!' })).toBe(
      'Mon 23 Nov, 17:30 (Asia/Kolkata)',
    );
  });

  it('an unknown zone falls back to UTC instead of failing the email', () => {
    expect(formatLocalDateTime(instant, 'Mars/Olympus_Mons')).toBe('Mon 23 Nov, 12:00 (UTC)');
  });
});

describe('renderEmail: summary', () => {
  it('subject with counts; overdue, upcoming, completed and the insight in both parts', () => {
    const email = renderEmail(summary, ctx);
    expect(email.subject).toBe('Your daily summary — 4 done, 2 due soon, 1 overdue');
    expect(email.text).toContain('You completed 4 tasks, 2 more than yesterday.');
    expect(email.text).toContain(
      [
        'Overdue (1)',
        '- Task 7 (was due Fri 20 Nov, 07:00)',
        '  https://taskflow.test/tasks/7',
      ].join('\n'),
    );
    expect(email.text).toContain(
      [
        'Due in the next 7 days (2)',
        '- Task 5 (due Mon 23 Nov, 22:30)',
        '  https://taskflow.test/tasks/5',
        '- Task 6 (due Thu 26 Nov, 07:00)',
      ].join('\n'),
    );
    expect(email.text).toContain('Completed today (4)\n- Task 1\n');
    expect(email.text).toContain('Times are in America/New_York.');
    expect(email.text).toContain('Open TaskFlow: https://taskflow.test/');
    for (const t of ['Overdue (1)', 'Due in the next 7 days (2)', 'Completed today (4)']) {
      expect(email.html).toContain(`>${t}</h2>`);
    }
    expect(email.html).toContain('href="https://taskflow.test/tasks/7"');
    expect(email.html).toContain('>You completed 4 tasks, 2 more than yesterday.</td>');
    expect(email.text).toContain('because the daily summary is on');
  });

  it('weekly, nothing overdue: no overdue section, weekly wording', () => {
    const email = renderEmail({ ...summary, period: 'weekly', overdue: [] }, ctx);
    expect(email.subject).toBe('Your weekly summary — 4 done, 2 due soon');
    expect(email.text).not.toContain('Overdue');
    expect(email.text).toContain('Completed this week (4)');
    expect(email.text).toContain('because the weekly summary is on');
  });

  it('empty lists say so', () => {
    const email = renderEmail({ ...summary, completed: [], upcoming: [], overdue: [] }, ctx);
    expect(email.subject).toBe('Your daily summary — 0 done, 0 due soon');
    expect(email.text).toContain('Nothing due in the next 7 days.');
    expect(email.text).toContain('No tasks completed today.');
  });

  it(`long lists show ${EMAIL_LIST_CAP} items and "and N more" linking to the app`, () => {
    const many = Array.from({ length: 25 }, (_, i) => task(100 + i));
    const email = renderEmail({ ...summary, completed: many }, ctx);
    expect(email.subject).toBe('Your daily summary — 25 done, 2 due soon, 1 overdue');
    expect(email.text).toContain('Completed today (25)');
    expect(email.text).toContain('- Task 109\n');
    expect(email.text).not.toContain('- Task 110\n');
    expect(email.text).toContain('- and 15 more: https://taskflow.test/');
    expect(email.html).toContain('>and 15 more</a>');
    expect(email.html).not.toContain('>Task 110</a>');
  });
});

describe('renderEmail: message', () => {
  it('heading as subject, paragraphs kept, optional action button', () => {
    const email = renderEmail(message, ctx);
    expect(email.subject).toBe('Scheduled maintenance on Sunday');
    expect(email.text).toContain(
      'TaskFlow will be read-only on Sunday from 02:00 to 03:00 UTC.\n\nThanks for your patience.',
    );
    expect(email.html).toContain('>Thanks for your patience.</p>');
    expect(email.text).toContain('View details: https://status.taskflow.test/');
    const without = renderEmail({ ...message, actionUrl: undefined }, ctx);
    expect(without.text).not.toContain('View details');
  });

  it('no greeting without a recipient name', () => {
    const email = renderEmail(message, { ...ctx, recipientName: undefined });
    expect(email.text.startsWith('Scheduled maintenance on Sunday\n')).toBe(true);
    expect(email.html).not.toContain('Hi ');
  });
});
