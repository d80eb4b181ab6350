import type { EmailTemplateData } from '../src/domain/notifications/channels';
import { renderEmail, type EmailRenderContext } from '../src/domain/notifications/email-templates';
import { unsubscribePages } from '../src/http/unsubscribe.pages';

/**
 * Every email the backend sends and every page of the unsubscribe flow, rendered from fixtures:
 * `npm run email:preview` writes them to .local/email-previews/ (scripts/email-preview.cjs), and
 * test/unit/email-previews.test.ts validates each HTML part. Adding a template is one entry in
 * {@link EMAIL_PREVIEWS} (an email kind, a function rendering it, or a page).
 */

export interface PreviewRendering {
  /** Email subject; null for a web page. */
  subject: string | null;
  html: string;
  /** The plain-text part of an email; null for a web page. */
  text: string | null;
}

export interface EmailPreview {
  /** File name (kebab-case) and anchor in the index. */
  name: string;
  /** What it is and when it is sent, for the index page. */
  description: string;
  /** The template data, for a notification email (absent for pages). */
  data?: EmailTemplateData;
  render(): PreviewRendering;
}

const BASE = 'https://taskflow.example';
const NOW = new Date('2026-11-23T09:00:00Z');
const ZONE = 'Europe/Lisbon';

/** The recipient and links of every preview email (as the engine builds them). */
export const PREVIEW_CONTEXT: EmailRenderContext = {
  recipientName: 'Ana',
  unsubscribeUrl: `${BASE}/api/unsubscribe?token=preview-token`,
  preferencesUrl: `${BASE}/settings/notifications`,
  appUrl: `${BASE}/`,
  locale: 'en-GB',
  timeZone: ZONE,
  now: NOW,
};

const at = (iso: string) => new Date(iso);
const taskUrl = (id: string) => `${BASE}/tasks/${id}`;
const task = { taskTitle: 'Write the launch post', taskUrl: taskUrl('t1'), projectName: 'Launch' };
const listed = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({
    title: `${prefix} ${i + 1}`,
    url: taskUrl(`${prefix.toLowerCase()}-${i + 1}`),
  }));
const due = (n: number, prefix: string, fromIso: string) =>
  listed(n, prefix).map((t, i) => ({
    ...t,
    dueDate: new Date(Date.parse(fromIso) + i * 86_400_000),
  }));

function email(name: string, description: string, data: EmailTemplateData): EmailPreview {
  return {
    name,
    description,
    data,
    render: () => ({ ...renderEmail(data, PREVIEW_CONTEXT) }),
  };
}

function unsubscribePage(name: string, description: string, html: () => string): EmailPreview {
  return { name, description, render: () => ({ subject: null, html: html(), text: null }) };
}

const settingsUrl = `${BASE}/settings/notifications`;

/** The previews, in the order of the index page. */
export const EMAIL_PREVIEWS: readonly EmailPreview[] = [
  email('invitation', 'An invitation to join a workspace', {
    kind: 'invitation',
    inviterName: 'Alice Martin',
    workspaceName: 'Launch crew',
    role: 'member',
    acceptUrl: 'https://taskflow.example.com/invitations/inv-1',
    expiresAt: new Date('2026-12-15T09:00:00Z'),
    timeZone: 'Europe/Berlin',
  }),
  email('task-assigned', 'A task was assigned to the recipient', {
    kind: 'task_event',
    changes: [
      {
        category: 'task_assigned',
        text: 'You were assigned "Write the launch post"',
        at: at('2026-11-23T08:55:00Z'),
      },
    ],
    ...task,
    dueDate: at('2026-11-25T17:00:00Z'),
  }),
  email('task-unassigned', 'A task of the recipient was given to someone else', {
    kind: 'task_event',
    changes: [
      {
        category: 'task_unassigned',
        text: '"Write the launch post" is no longer assigned to you',
        at: at('2026-11-23T08:50:00Z'),
      },
    ],
    ...task,
  }),
  email('task-status-changed', 'The status of a task the recipient follows changed', {
    kind: 'task_event',
    changes: [
      {
        category: 'task_status_changed',
        text: '"Write the launch post" moved to In progress',
        at: at('2026-11-23T08:40:00Z'),
      },
    ],
    ...task,
    dueDate: at('2026-11-25T17:00:00Z'),
  }),
  email('task-completed', 'A task the recipient created was marked done', {
    kind: 'task_event',
    changes: [
      {
        category: 'task_completed',
        text: '"Write the launch post" was marked done',
        at: at('2026-11-23T08:30:00Z'),
      },
    ],
    ...task,
  }),
  email(
    'task-events-batch',
    'Several changes to one task within the coalescing window, as one email',
    {
      kind: 'task_event',
      changes: [
        {
          category: 'task_assigned',
          text: 'You were assigned "Write the launch post"',
          at: at('2026-11-23T08:50:00Z'),
        },
        {
          category: 'task_status_changed',
          text: '"Write the launch post" moved to In progress',
          at: at('2026-11-23T08:52:00Z'),
        },
        {
          category: 'task_completed',
          text: '"Write the launch post" was marked done',
          at: at('2026-11-23T08:58:00Z'),
        },
      ],
      ...task,
      dueDate: at('2026-11-25T17:00:00Z'),
    },
  ),
  email('task-due-soon', 'Reminder before a task of the recipient is due', {
    kind: 'task_due',
    category: 'task_due_soon',
    taskTitle: task.taskTitle,
    taskUrl: task.taskUrl,
    dueDate: at('2026-11-23T10:00:00Z'),
    timeZone: ZONE,
  }),
  email('task-overdue', 'A task of the recipient is past its due date', {
    kind: 'task_due',
    category: 'task_overdue',
    taskTitle: task.taskTitle,
    taskUrl: task.taskUrl,
    dueDate: at('2026-11-21T17:00:00Z'),
    timeZone: ZONE,
  }),
  email('daily-summary', 'Daily digest: done yesterday, due soon, overdue', {
    kind: 'summary',
    period: 'daily',
    periodLabel: 'Sun 22 Nov 2026',
    completed: listed(3, 'Done'),
    upcoming: due(2, 'Upcoming', '2026-11-24T17:00:00Z'),
    overdue: due(1, 'Late', '2026-11-20T17:00:00Z'),
    insight: 'You completed 3 tasks yesterday.',
    timeZone: ZONE,
    completedWhen: 'Completed yesterday',
  }),
  email('weekly-summary', 'Weekly digest with lists longer than one email shows ("and N more")', {
    kind: 'summary',
    period: 'weekly',
    periodLabel: '16–22 Nov 2026',
    completed: listed(10, 'Done'),
    upcoming: due(10, 'Upcoming', '2026-11-24T17:00:00Z'),
    overdue: [],
    insight: 'You completed 14 tasks, 40% more than last week.',
    timeZone: ZONE,
    totals: { completed: 14, upcoming: 12, overdue: 0 },
  }),
  email('announcement', 'An announcement (admin bulk send or custom scheduled notification)', {
    kind: 'message',
    heading: 'Scheduled maintenance on Sunday',
    body: 'TaskFlow will be read-only on Sunday between 02:00 and 03:00 UTC.\nYour tasks are safe.',
    actionUrl: `${BASE}/status`,
  }),
  unsubscribePage('unsubscribe-confirm', 'Unsubscribe link opened (GET): asks to confirm', () =>
    unsubscribePages.confirm('the daily summary email', 'preview-token', settingsUrl),
  ),
  unsubscribePage('unsubscribe-done', 'Unsubscribed (POST, one-click or the button)', () =>
    unsubscribePages.done('the daily summary email', settingsUrl),
  ),
  unsubscribePage('unsubscribe-expired', 'Unsubscribe link past its lifetime (400)', () =>
    unsubscribePages.expired(settingsUrl),
  ),
  unsubscribePage('unsubscribe-invalid', 'Unsubscribe link that does not verify (400)', () =>
    unsubscribePages.invalid(settingsUrl),
  ),
  unsubscribePage('unsubscribe-retry', 'Unsubscribe failed to save; try again (503)', () =>
    unsubscribePages.retry(settingsUrl),
  ),
];
