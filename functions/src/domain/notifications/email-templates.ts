import { formatInTimeZone } from 'date-fns-tz';
import type { EmailTemplateData, NotificationCategory, RenderedEmail } from './channels';
import {
  clip,
  oneLine,
  renderHtml,
  renderText,
  type Block,
  type EmailDoc,
  type EmailRenderContext,
} from './email-layout';

export { EMAIL_LIST_CAP, type EmailRenderContext } from './email-layout';

/**
 * Email templates of the notification engine: what each `EmailTemplateData` kind says (subject,
 * preheader, heading and blocks), laid out by `email-layout.ts` into a subject, a responsive HTML
 * part and a plain-text part. Output depends only on the arguments: no clock is read here (pass
 * `ctx.now` for relative times).
 */

// ---------------------------------------------------------------------------------------------
// Text helpers

/** Task titles in subjects stay short enough for a phone's inbox list. */
const SUBJECT_TITLE_MAX = 60;
const subjectTitle = (title: string) => clip(oneLine(title), SUBJECT_TITLE_MAX);

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function isValidZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function uses12HourClock(locale: string | undefined): boolean {
  if (locale === undefined) return false;
  try {
    const cycle = new Intl.DateTimeFormat(locale, { hour: 'numeric' }).resolvedOptions().hourCycle;
    return cycle === 'h11' || cycle === 'h12';
  } catch {
    return false;
  }
}

/**
 * A date in the recipient's zone, e.g. `Mon 23 Nov, 17:30 (Asia/Kolkata)` (or `5:30 PM` for
 * 12-hour locales such as en-US). An unknown zone falls back to UTC rather than failing the email.
 */
export function formatLocalDateTime(
  date: Date,
  timeZone: string,
  options: { locale?: string | undefined; withZone?: boolean } = {},
): string {
  const zone = isValidZone(timeZone) ? timeZone : 'UTC';
  const time = uses12HourClock(options.locale) ? 'h:mm a' : 'HH:mm';
  const text = formatInTimeZone(date, zone, `EEE d MMM, ${time}`);
  return options.withZone === false ? text : `${text} (${zone})`;
}

/**
 * A duration for people: minutes below 55, then hours (rounded) up to a day and a half, then
 * days; so a reminder that fires a minute late still reads "1 hour".
 */
export function humanDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60_000));
  if (minutes < 55) return plural(minutes, 'minute');
  if (minutes < 36 * 60) return plural(Math.max(1, Math.round(minutes / 60)), 'hour');
  return plural(Math.round(minutes / 1440), 'day');
}

const REASON: Record<NotificationCategory, string> = {
  task_assigned: 'task assignment emails are on',
  task_unassigned: 'task assignment emails are on',
  task_status_changed: 'task status emails are on',
  task_completed: 'task status emails are on',
  task_due_soon: 'due date reminders are on',
  task_overdue: 'due date reminders are on',
  daily_summary: 'the daily summary is on',
  weekly_summary: 'the weekly summary is on',
  broadcast: 'you have a TaskFlow account',
  custom: 'you have a TaskFlow account',
  workspace_invitation: 'a TaskFlow member invited this address',
};

/** Subject prefix of a single task change: "Assigned: Write the launch post". */
const CHANGE_PREFIX: Record<NotificationCategory, string> = {
  task_assigned: 'Assigned',
  task_unassigned: 'Reassigned',
  task_status_changed: 'Status changed',
  task_completed: 'Completed',
  task_due_soon: 'Due soon',
  task_overdue: 'Overdue',
  daily_summary: 'Update',
  weekly_summary: 'Update',
  broadcast: 'Update',
  custom: 'Update',
  workspace_invitation: 'Invitation',
};

type Kind<K extends EmailTemplateData['kind']> = Extract<EmailTemplateData, { kind: K }>;

function taskEventDoc(data: Kind<'task_event'>, ctx: EmailRenderContext): EmailDoc {
  const title = oneLine(data.taskTitle);
  const zone = ctx.timeZone ?? 'UTC';
  // Oldest first; Array.prototype.sort is stable, so equal times keep the producer's order.
  const changes = [...data.changes].sort((a, b) => a.at.getTime() - b.at.getTime());
  const last = changes.at(-1);
  const details: Block[] = [];
  const facts = [
    data.projectName === undefined ? null : `Project: ${oneLine(data.projectName)}`,
    data.dueDate == null
      ? null
      : `Due ${formatLocalDateTime(data.dueDate, zone, { locale: ctx.locale })}`,
  ].filter((f): f is string => f !== null);
  if (facts.length > 0) details.push({ type: 'p', text: facts.join(' · '), muted: true });
  details.push({ type: 'button', label: 'Open task', url: data.taskUrl });
  const reason = REASON[last?.category ?? 'task_status_changed'];

  if (changes.length <= 1) {
    const text = last === undefined ? `"${title}" was updated.` : oneLine(last.text);
    const prefix = CHANGE_PREFIX[last?.category ?? 'custom'];
    return {
      subject: `${prefix}: ${subjectTitle(title)}`,
      preheader: text,
      heading: title,
      blocks: [{ type: 'p', text }, ...details],
      reason,
    };
  }
  return {
    subject: `${changes.length} updates to "${subjectTitle(title)}"`,
    preheader: changes.map((c) => oneLine(c.text)).join(' · '),
    heading: title,
    blocks: [
      {
        type: 'p',
        text: `${changes.length} updates, oldest first (times in ${isValidZone(zone) ? zone : 'UTC'}):`,
      },
      {
        type: 'list',
        items: changes.map((c) => ({
          title: oneLine(c.text),
          meta: formatLocalDateTime(c.at, zone, { locale: ctx.locale, withZone: false }),
        })),
        moreUrl: data.taskUrl,
      },
      ...details,
    ],
    reason,
  };
}

function taskDueDoc(data: Kind<'task_due'>, ctx: EmailRenderContext): EmailDoc {
  const title = oneLine(data.taskTitle);
  const when = formatLocalDateTime(data.dueDate, data.timeZone, { locale: ctx.locale });
  const left = ctx.now === undefined ? null : data.dueDate.getTime() - ctx.now.getTime();
  let subject: string;
  let heading: string;
  let line: string;
  if (data.category === 'task_due_soon') {
    if (left === null) {
      subject = `Due soon: ${subjectTitle(title)}`;
      heading = `"${title}" is due soon`;
    } else if (left < 60_000) {
      subject = `Due now: ${subjectTitle(title)}`;
      heading = `"${title}" is due now`;
    } else {
      subject = `Due in ${humanDuration(left)}: ${subjectTitle(title)}`;
      heading = `"${title}" is due in ${humanDuration(left)}`;
    }
    line = `Due ${when}.`;
  } else {
    subject = `Overdue: ${subjectTitle(title)}`;
    heading = `"${title}" is overdue`;
    line =
      left === null || left >= 0
        ? `It was due ${when}.`
        : `It was due ${when}, ${humanDuration(left)} ago.`;
  }
  return {
    subject,
    preheader: line,
    heading,
    blocks: [
      { type: 'p', text: line },
      { type: 'button', label: 'Open task', url: data.taskUrl },
    ],
    reason: REASON[data.category],
  };
}

function summaryDoc(data: Kind<'summary'>, ctx: EmailRenderContext): EmailDoc {
  const due = (d: Date) =>
    formatLocalDateTime(d, data.timeZone, { locale: ctx.locale, withZone: false });
  const totals = data.totals ?? {
    completed: data.completed.length,
    upcoming: data.upcoming.length,
    overdue: data.overdue.length,
  };
  const counts = [
    `${totals.completed} done`,
    `${totals.upcoming} due soon`,
    ...(totals.overdue > 0 ? [`${totals.overdue} overdue`] : []),
  ].join(', ');
  const zone = isValidZone(data.timeZone) ? data.timeZone : 'UTC';
  const insight = oneLine(data.insight);
  const list = (
    heading: string,
    items: readonly { title: string; url: string; dueDate?: Date }[],
    total: number,
    meta: (d: Date) => string,
    empty: string,
    tone?: 'alert',
  ): Block => ({
    type: 'list',
    heading: `${heading} (${total})`,
    total,
    items: items.map((t) => ({
      title: oneLine(t.title),
      url: t.url,
      meta: t.dueDate === undefined ? undefined : meta(t.dueDate),
    })),
    empty,
    moreUrl: ctx.appUrl,
    tone,
  });
  const blocks: Block[] = [{ type: 'p', text: oneLine(data.periodLabel), muted: true }];
  if (insight !== '') blocks.push({ type: 'callout', text: insight });
  if (totals.overdue > 0) {
    blocks.push(
      list('Overdue', data.overdue, totals.overdue, (d) => `was due ${due(d)}`, '', 'alert'),
    );
  }
  const completedWhen = data.completedWhen ?? (data.period === 'daily' ? 'today' : 'this week');
  blocks.push(
    list(
      'Due in the next 7 days',
      data.upcoming,
      totals.upcoming,
      (d) => `due ${due(d)}`,
      'Nothing due in the next 7 days.',
    ),
    list(
      `Completed ${completedWhen}`,
      data.completed,
      totals.completed,
      due,
      `No tasks completed ${completedWhen}.`,
    ),
  );
  if (totals.upcoming + totals.overdue > 0) {
    blocks.push({ type: 'p', text: `Times are in ${zone}.`, muted: true });
  }
  blocks.push({ type: 'button', label: 'Open TaskFlow', url: ctx.appUrl });
  const period = data.period === 'daily' ? 'daily' : 'weekly';
  return {
    subject: `Your ${period} summary — ${counts}`,
    preheader: insight === '' ? `${counts}.` : `${counts}. ${insight}`,
    heading: `Your ${period} summary`,
    blocks,
    reason: REASON[data.period === 'daily' ? 'daily_summary' : 'weekly_summary'],
  };
}

function messageDoc(data: Kind<'message'>): EmailDoc {
  const heading = oneLine(data.heading);
  const paragraphs = data.body
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return {
    subject: clip(heading, 120),
    preheader: clip(oneLine(data.body), 140),
    heading,
    blocks: [
      ...paragraphs.map((text): Block => ({ type: 'p', text })),
      ...(data.actionUrl === undefined
        ? []
        : [{ type: 'button', label: 'View details', url: data.actionUrl } as const]),
    ],
    reason: REASON.broadcast,
  };
}

function invitationDoc(data: Kind<'invitation'>, ctx: EmailRenderContext): EmailDoc {
  const workspace = clip(oneLine(data.workspaceName), SUBJECT_TITLE_MAX);
  const who =
    data.inviterName === undefined || oneLine(data.inviterName) === ''
      ? 'A TaskFlow member'
      : oneLine(data.inviterName);
  const article = data.role === 'member' ? 'a' : 'an';
  const expires = formatLocalDateTime(data.expiresAt, data.timeZone, { locale: ctx.locale });
  return {
    subject: `${who} invited you to ${workspace} on TaskFlow`,
    preheader: `Join ${workspace} as ${article} ${data.role}. The invitation expires ${expires}.`,
    heading: `Join ${workspace}`,
    blocks: [
      {
        type: 'p',
        text: `${who} invited you to the workspace ${workspace} as ${article} ${data.role}.`,
      },
      { type: 'button', label: 'Accept or decline', url: data.acceptUrl },
      {
        type: 'p',
        muted: true,
        text:
          `The invitation expires ${expires}. Sign in with this email address (verified) to ` +
          'accept it. If you did not expect it, ignore this email: nothing happens unless you accept.',
      },
    ],
    reason: REASON.workspace_invitation,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Renders one notification email: subject, HTML and plain text. Pure and deterministic (same
 * input, same bytes), so deliveries can store and compare what was sent and tests can pin it.
 */
export function renderEmail(data: EmailTemplateData, ctx: EmailRenderContext): RenderedEmail {
  let doc: EmailDoc;
  switch (data.kind) {
    case 'task_event':
      doc = taskEventDoc(data, ctx);
      break;
    case 'task_due':
      doc = taskDueDoc(data, ctx);
      break;
    case 'summary':
      doc = summaryDoc(data, ctx);
      break;
    case 'message':
      doc = messageDoc(data);
      break;
    case 'invitation':
      doc = invitationDoc(data, ctx);
      break;
  }
  return { subject: doc.subject, html: renderHtml(doc, ctx), text: renderText(doc, ctx) };
}
