import escapeHtml from 'escape-html';

/**
 * The layout of every notification email: a small document model (heading, paragraphs, callouts,
 * buttons, lists) rendered to a responsive HTML part and a plain-text part, so the two parts always
 * say the same thing. The content of each kind of email is in `email-templates.ts`.
 *
 * HTML rules, for Gmail, Outlook (Word engine) and Apple Mail alike: one centred column of nested
 * tables at most 600px wide, every style inline (the one `<style>` block only narrows the padding
 * on small screens, as progressive enhancement), a hidden preheader, bulletproof table buttons,
 * and every piece of user input (task titles, names, admin text) escaped with `escape-html`.
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
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Only web and mail links are rendered; anything else (`javascript:`, `data:`) is dropped. */
export function safeUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  try {
    const parsed = new URL(url);
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? url : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The document model both parts are rendered from

export interface ListItem {
  title: string;
  url?: string | undefined;
  meta?: string | undefined;
}

export type Block =
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

export interface EmailDoc {
  subject: string;
  /** The line mail clients show next to the subject in the inbox list. */
  preheader: string;
  heading: string;
  blocks: Block[];
  /** Why the recipient gets this ("…because <reason>"). */
  reason: string;
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

export function renderHtml(doc: EmailDoc, ctx: EmailRenderContext): string {
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

export function renderText(doc: EmailDoc, ctx: EmailRenderContext): string {
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
