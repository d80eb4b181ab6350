import escapeHtml from 'escape-html';
import { formatInTimeZone } from 'date-fns-tz';
import type { EmailTemplateData, NotificationCategory, RenderedEmail } from './channels';

/**
 * Email templates of the notification engine: one per `EmailTemplateData` kind, each rendered to a
 * subject, a responsive HTML part and a plain-text part built from the same blocks (so the two
 * parts always say the same thing).
 *
 * HTML rules, for Gmail, Outlook (Word engine) and Apple Mail alike: one centred column of nested
 * tables at most 600px wide, every style inline (the one `<style>` block only narrows the padding
 * on small screens, as progressive enhancement), a hidden preheader, bulletproof table buttons,
 * and every piece of user input (task titles, names, admin text) escaped with `escape-html`.
 * Output depends only on the arguments: no clock is read here (pass `ctx.now` for relative times).
 */

/** Everything about the recipient and the links the engine builds; the same for every kind. */
export interface EmailRenderContext {
  /** Greets the recipient by name ("Hi Ana,") when given. */
  recipientName?: string | undefined;
  /** One-click unsubscribe page for this email's preference (also in the List-Unsubscribe header). */
  unsubscribeUrl: string;
  /** The recipient's notification settings in the app. */
  preferencesUrl: string;
  /** The app's home, target of "Open TaskFlow" and "and N more" links. */
  appUrl: string;
  /** BCP 47 tag of the recipient; picks the 12- or 24-hour clock (the texts are English). */
  locale?: string | undefined;
  /** The recipient's IANA zone for times of `task_event` emails (`task_due`/`summary` carry theirs); default UTC. */
  timeZone?: string | undefined;
  /** When the email is rendered (the engine's clock): enables "Due in 1 hour", "2 days ago". */
  now?: Date | undefined;
}

/** Longest list in one email; the rest is "and N more" with a link to the app. */
export const EMAIL_LIST_CAP = 10;

// ---------------------------------------------------------------------------------------------
// Text helpers

/** User text on one line (titles, names): no line breaks can reach a subject or a list item. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Task titles in subjects stay short enough for a phone's inbox list. */
const SUBJECT_TITLE_MAX = 60;
const subjectTitle = (title: string) => clip(oneLine(title), SUBJECT_TITLE_MAX);

/** Only web and mail links are rendered; anything else (`javascript:`, `data:`) is dropped. */
function safeUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? url : null;
  } catch {
    return null;
  }
}

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

// ---------------------------------------------------------------------------------------------
// The document model both parts are rendered from

interface ListItem {
  title: string;
  url?: string | undefined;
  meta?: string | undefined;
}

type Block =
  | { type: 'p'; text: string; muted?: boolean }
  | { type: 'callout'; text: string }
  | { type: 'button'; label: string; url: string | undefined }
  | {
      type: 'list';
      heading?: string | undefined;
      items: readonly ListItem[];
      /** Shown instead of the list when it is empty. */
      empty?: string | undefined;
      /** Where "and N more" points. */
      moreUrl: string;
      /** How many there are when `items` holds only the first ones (default: its length). */
      total?: number | undefined;
      tone?: 'alert' | undefined;
    };

interface EmailDoc {
  subject: string;
  /** The line mail clients show next to the subject in the inbox list. */
  preheader: string;
  heading: string;
  blocks: Block[];
  /** Why the recipient gets this ("…because <reason>"). */
  reason: string;
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
// HTML

const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";
const COLOR = {
  page: '#f4f5f7',
  card: '#ffffff',
  text: '#1f2937',
  muted: '#6b7280',
  line: '#e5e7eb',
  brand: '#2563eb',
  alert: '#b91c1c',
  calloutBg: '#eff6ff',
  calloutText: '#1e3a8a',
};

/** Escaped text with its line breaks kept (admin messages are multi-line). */
const htmlText = (text: string) => escapeHtml(text).replace(/\n/g, '<br>');

function htmlButton(label: string, url: string): string {
  const href = escapeHtml(url);
  return (
    `<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 24px 0;border-collapse:separate;">` +
    `<tr><td align="center" bgcolor="${COLOR.brand}" style="border-radius:6px;background-color:${COLOR.brand};">` +
    `<a href="${href}" target="_blank" style="display:inline-block;padding:12px 24px;font-family:${FONT};font-size:16px;line-height:20px;font-weight:600;color:#ffffff;text-decoration:none;border-radius:6px;">${escapeHtml(label)}</a>` +
    `</td></tr></table>`
  );
}

function htmlList(block: Extract<Block, { type: 'list' }>): string {
  const heading =
    block.heading === undefined
      ? ''
      : `<h2 style="margin:24px 0 8px 0;font-family:${FONT};font-size:16px;line-height:22px;font-weight:600;color:${block.tone === 'alert' ? COLOR.alert : COLOR.text};">${escapeHtml(block.heading)}</h2>`;
  if (block.items.length === 0) {
    return block.empty === undefined || block.empty === ''
      ? heading
      : `${heading}<p style="margin:0 0 16px 0;font-family:${FONT};font-size:15px;line-height:22px;color:${COLOR.muted};">${escapeHtml(block.empty)}</p>`;
  }
  const shown = block.items.slice(0, EMAIL_LIST_CAP);
  const rows = shown.map((item) => {
    const url = safeUrl(item.url);
    const title =
      url === null
        ? `<span style="color:${COLOR.text};">${escapeHtml(item.title)}</span>`
        : `<a href="${escapeHtml(url)}" target="_blank" style="color:${COLOR.brand};text-decoration:none;font-weight:600;">${escapeHtml(item.title)}</a>`;
    const meta =
      item.meta === undefined
        ? ''
        : `<br><span style="font-size:13px;line-height:20px;color:${block.tone === 'alert' ? COLOR.alert : COLOR.muted};">${escapeHtml(item.meta)}</span>`;
    return `<tr><td style="padding:8px 0;border-top:1px solid ${COLOR.line};font-family:${FONT};font-size:15px;line-height:22px;color:${COLOR.text};">${title}${meta}</td></tr>`;
  });
  const rest = (block.total ?? block.items.length) - shown.length;
  const moreUrl = safeUrl(block.moreUrl);
  if (rest > 0) {
    const label = `and ${rest} more`;
    const more =
      moreUrl === null
        ? escapeHtml(label)
        : `<a href="${escapeHtml(moreUrl)}" target="_blank" style="color:${COLOR.brand};text-decoration:none;">${escapeHtml(label)}</a>`;
    rows.push(
      `<tr><td style="padding:8px 0;border-top:1px solid ${COLOR.line};font-family:${FONT};font-size:14px;line-height:20px;color:${COLOR.muted};">${more}</td></tr>`,
    );
  }
  return `${heading}<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;margin:0 0 16px 0;border-collapse:collapse;">${rows.join('')}</table>`;
}

function htmlBlock(block: Block): string {
  switch (block.type) {
    case 'p':
      return `<p style="margin:0 0 16px 0;font-family:${FONT};font-size:${block.muted === true ? '14px' : '16px'};line-height:24px;color:${block.muted === true ? COLOR.muted : COLOR.text};">${htmlText(block.text)}</p>`;
    case 'callout':
      return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;margin:0 0 16px 0;border-collapse:collapse;"><tr><td style="padding:12px 16px;background-color:${COLOR.calloutBg};border-left:4px solid ${COLOR.brand};font-family:${FONT};font-size:15px;line-height:22px;color:${COLOR.calloutText};">${escapeHtml(block.text)}</td></tr></table>`;
    case 'button': {
      const url = safeUrl(block.url);
      return url === null ? '' : htmlButton(block.label, url);
    }
    case 'list':
      return htmlList(block);
  }
}

/** Invisible filler after the preheader so clients do not pull body text into the preview. */
/** Inbox previews show about 90–140 characters; the rest of a long preheader is noise. */
const PREHEADER_MAX = 140;
const PREHEADER_FILLER = '&#847;&zwnj;&nbsp;'.repeat(40);

function renderHtml(doc: EmailDoc, ctx: EmailRenderContext): string {
  const greeting =
    ctx.recipientName === undefined || oneLine(ctx.recipientName) === ''
      ? ''
      : htmlBlock({ type: 'p', text: `Hi ${oneLine(ctx.recipientName)},` });
  const link = (label: string, url: string) => {
    const safe = safeUrl(url);
    return safe === null
      ? escapeHtml(label)
      : `<a href="${escapeHtml(safe)}" target="_blank" style="color:${COLOR.muted};text-decoration:underline;">${escapeHtml(label)}</a>`;
  };
  const lang = escapeHtml(ctx.locale ?? 'en');
  return [
    '<!DOCTYPE html>',
    `<html lang="${lang}" xmlns="http://www.w3.org/1999/xhtml" xmlns:o="urn:schemas-microsoft-com:office:office">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
    '<meta name="x-apple-disable-message-reformatting">',
    '<meta name="color-scheme" content="light">',
    '<meta name="supported-color-schemes" content="light">',
    `<title>${escapeHtml(doc.subject)}</title>`,
    '<!--[if mso]><noscript><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml></noscript><![endif]-->',
    // Progressive enhancement only: the layout works without it (Gmail apps may strip it).
    '<style>@media only screen and (max-width:620px){.tf-card{width:100% !important;}.tf-pad{padding:20px 16px !important;}}</style>',
    '</head>',
    `<body style="margin:0;padding:0;width:100%;background-color:${COLOR.page};-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%;">`,
    `<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;color:${COLOR.page};">${escapeHtml(clip(doc.preheader, PREHEADER_MAX))}${PREHEADER_FILLER}</div>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;background-color:${COLOR.page};border-collapse:collapse;">`,
    `<tr><td align="center" style="padding:24px 12px;">`,
    '<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->',
    `<table role="presentation" class="tf-card" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:${COLOR.card};border:1px solid ${COLOR.line};border-radius:8px;border-collapse:separate;">`,
    `<tr><td class="tf-pad" style="padding:20px 32px;border-bottom:1px solid ${COLOR.line};font-family:${FONT};font-size:18px;line-height:24px;font-weight:700;color:${COLOR.brand};">TaskFlow</td></tr>`,
    `<tr><td class="tf-pad" style="padding:28px 32px 12px 32px;">`,
    greeting,
    `<h1 style="margin:0 0 16px 0;font-family:${FONT};font-size:22px;line-height:30px;font-weight:600;color:${COLOR.text};">${escapeHtml(doc.heading)}</h1>`,
    ...doc.blocks.map(htmlBlock),
    '</td></tr>',
    `<tr><td class="tf-pad" style="padding:16px 32px 24px 32px;border-top:1px solid ${COLOR.line};font-family:${FONT};font-size:12px;line-height:18px;color:${COLOR.muted};">`,
    `You get this email because ${escapeHtml(doc.reason)}.<br>`,
    `${link('Unsubscribe from these emails', ctx.unsubscribeUrl)} &middot; ${link('Email preferences', ctx.preferencesUrl)}`,
    '</td></tr>',
    '</table>',
    '<!--[if mso]></td></tr></table><![endif]-->',
    '</td></tr>',
    '</table>',
    '</body>',
    '</html>',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Plain text

function textBlock(block: Block): string {
  switch (block.type) {
    case 'p':
    case 'callout':
      return block.text;
    case 'button': {
      const url = safeUrl(block.url);
      return url === null ? '' : `${block.label}: ${url}`;
    }
    case 'list': {
      const lines: string[] = block.heading === undefined ? [] : [block.heading];
      if (block.items.length === 0) {
        if (block.empty !== undefined && block.empty !== '') lines.push(block.empty);
        return lines.join('\n');
      }
      const shown = block.items.slice(0, EMAIL_LIST_CAP);
      for (const item of shown) {
        lines.push(`- ${item.title}${item.meta === undefined ? '' : ` (${item.meta})`}`);
        const url = safeUrl(item.url);
        if (url !== null) lines.push(`  ${url}`);
      }
      const rest = (block.total ?? block.items.length) - shown.length;
      if (rest > 0) {
        const moreUrl = safeUrl(block.moreUrl);
        lines.push(`- and ${rest} more${moreUrl === null ? '' : `: ${moreUrl}`}`);
      }
      return lines.join('\n');
    }
  }
}

function renderText(doc: EmailDoc, ctx: EmailRenderContext): string {
  const parts: string[] = [];
  if (ctx.recipientName !== undefined && oneLine(ctx.recipientName) !== '') {
    parts.push(`Hi ${oneLine(ctx.recipientName)},`);
  }
  parts.push(doc.heading, ...doc.blocks.map(textBlock));
  parts.push(
    [
      '-- ',
      `You get this email because ${doc.reason}.`,
      `Unsubscribe: ${ctx.unsubscribeUrl}`,
      `Email preferences: ${ctx.preferencesUrl}`,
    ].join('\n'),
  );
  return `${parts.filter((p) => p !== '').join('\n\n')}\n`;
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
