import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Firestore } from 'firebase-admin/firestore';
import { type CapturedEmailDoc } from '../src/infra/email/capture.mailer';
import { DEV_OUTBOX } from '../src/storage/collections';

/**
 * Turns emails captured in `devOutbox` (see capture.mailer.ts) into files a developer can open:
 * the HTML part (a browser), the text part, and a complete RFC 5322 message (.eml, opens in any
 * mail client, headers included). `scripts/outbox-dump.cjs` (`npm run outbox:dump`) drives it.
 */

/** A captured email, read back from its document: the stored fields, with its id and a Date. */
export type CapturedEmail = Omit<CapturedEmailDoc, 'kind' | 'capturedAt'> & {
  id: string;
  capturedAt: Date;
};

export interface OutboxFile {
  name: string;
  content: string;
}

/** Sender shown in .eml files of emails captured without one. */
const FALLBACK_FROM = { email: 'notifications@taskflow.test', name: 'TaskFlow' };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown): Record<string, string> {
  if (!isRecord(v)) return {};
  return Object.fromEntries(
    Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/**
 * A `devOutbox` document as a CapturedEmail; null for other kinds (captured pushes) and for
 * documents missing the fields an email needs.
 */
export function capturedEmailFromDoc(id: string, data: unknown): CapturedEmail | null {
  if (!isRecord(data) || data.kind !== 'email') return null;
  const { to, subject, html, text, category, capturedAt, from, toName } = data;
  if (typeof to !== 'string' || typeof subject !== 'string') return null;
  if (typeof html !== 'string' || typeof text !== 'string') return null;
  const at =
    isRecord(capturedAt) && typeof capturedAt.toDate === 'function'
      ? (capturedAt.toDate as () => unknown).call(capturedAt)
      : capturedAt;
  if (!(at instanceof Date)) return null;
  return {
    id,
    to,
    toName: typeof toName === 'string' ? toName : null,
    from:
      isRecord(from) && typeof from.email === 'string'
        ? { email: from.email, name: typeof from.name === 'string' ? from.name : '' }
        : null,
    subject,
    html,
    text,
    headers: stringMap(data.headers),
    category: typeof category === 'string' ? category : '',
    customArgs: stringMap(data.customArgs),
    capturedAt: at,
  };
}

/** `<capturedAt>-<to>-<id>`, safe as a file name on every OS and sorted by time in a listing. */
export function outboxFileBase(email: CapturedEmail): string {
  const at = email.capturedAt.toISOString().replace(/:/g, '-');
  const to = email.to.replace(/[^A-Za-z0-9@._+-]/g, '_').slice(0, 80);
  const id = email.id.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${at}-${to}-${id}`;
}

// ---- RFC 5322 / MIME ------------------------------------------------------------------------

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** RFC 2047 encoded words (UTF-8, base64), each at most 75 characters, folded onto new lines. */
function encodedWords(value: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const char of value) {
    if (Buffer.byteLength(chunk + char, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk !== '') words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** Header text as-is when it is printable ASCII, else as encoded words; never a bare CR or LF. */
function headerText(value: string): string {
  const line = value.replace(/[\r\n]+/g, ' ');
  return PRINTABLE_ASCII.test(line) ? line : encodedWords(line);
}

function mailbox(address: { email: string; name?: string | null }): string {
  const email = address.email.replace(/[\r\n<>]/g, '');
  const name = (address.name ?? '').replace(/[\r\n]+/g, ' ').trim();
  if (name === '') return `<${email}>`;
  const display = PRINTABLE_ASCII.test(name)
    ? `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`
    : encodedWords(name);
  return `${display} <${email}>`;
}

/** Quoted-printable (RFC 2045 §6.7) of UTF-8 text, CRLF line ends, lines of at most 76. */
function quotedPrintable(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => {
      const bytes = Buffer.from(line, 'utf8');
      let out = '';
      let current = '';
      bytes.forEach((b, i) => {
        const last = i === bytes.length - 1;
        const literal = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last);
        const token = literal
          ? String.fromCharCode(b)
          : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
        if (current.length + token.length > 75) {
          out += `${current}=\r\n`;
          current = '';
        }
        current += token;
      });
      return out + current;
    })
    .join('\r\n');
}

/** RFC 5322 date, e.g. `Mon, 23 Nov 2026 10:00:00 +0000`. */
const rfc5322Date = (d: Date) => d.toUTCString().replace(/GMT$/, '+0000');

/** JSON with non-ASCII escaped, so it fits in a header as-is. */
const asciiJson = (v: unknown) =>
  JSON.stringify(v).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

/**
 * The email as a complete RFC 5322 message: From/To/Subject/Date/Message-ID, the captured headers
 * (List-Unsubscribe, …), category and custom args as X-TaskFlow-* headers, and a
 * multipart/alternative body with the text part first, both quoted-printable UTF-8. CRLF line ends.
 */
export function toEml(email: CapturedEmail): string {
  // "=_" can never start a quoted-printable line, so the boundary cannot occur in the parts.
  const boundary = `=_taskflow_${email.id.replace(/[^A-Za-z0-9]/g, '')}`;
  const headers: [string, string][] = [
    ['From', mailbox(email.from ?? FALLBACK_FROM)],
    ['To', mailbox({ email: email.to, name: email.toName })],
    ['Subject', headerText(email.subject)],
    ['Date', rfc5322Date(email.capturedAt)],
    ['Message-ID', `<captured-${email.id}@taskflow.local>`],
    ['MIME-Version', '1.0'],
    ...Object.entries(email.headers)
      .filter(([name]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
      .map(([name, value]): [string, string] => [name, headerText(value)]),
    ['X-TaskFlow-Category', headerText(email.category)],
    ['X-TaskFlow-Custom-Args', asciiJson(email.customArgs)],
    ['Content-Type', `multipart/alternative; boundary="${boundary}"`],
  ];
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: quoted-printable',
      '',
      quotedPrintable(body),
    ].join('\r\n');
  return [
    ...headers.map(([name, value]) => `${name}: ${value}`),
    '',
    'This is a multi-part message in MIME format.',
    '',
    part('text/plain', email.text),
    part('text/html', email.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** The three files of one captured email: `<base>.html`, `<base>.txt`, `<base>.eml`. */
export function outboxFiles(email: CapturedEmail): OutboxFile[] {
  const base = outboxFileBase(email);
  return [
    { name: `${base}.html`, content: email.html },
    { name: `${base}.txt`, content: email.text },
    { name: `${base}.eml`, content: toEml(email) },
  ];
}

/** Newest first; a dump is for reading what was just sent, not an archive. */
export const OUTBOX_DUMP_DEFAULT_LIMIT = 200;

/**
 * Writes the newest `limit` captured outbox entries that are emails into `dir` (created if
 * needed) and answers what it wrote. Reads one single-field-ordered page of `devOutbox`, which
 * exists only in emulator projects.
 */
export async function dumpOutbox(
  db: Firestore,
  dir: string,
  options: { limit?: number } = {},
): Promise<{ email: CapturedEmail; paths: string[] }[]> {
  const snap = await db
    .collection(DEV_OUTBOX)
    .orderBy('capturedAt', 'desc')
    .limit(options.limit ?? OUTBOX_DUMP_DEFAULT_LIMIT)
    .get();
  const emails = snap.docs
    .map((d) => capturedEmailFromDoc(d.id, d.data()))
    .filter((e): e is CapturedEmail => e !== null)
    .reverse();
  await mkdir(dir, { recursive: true });
  const written: { email: CapturedEmail; paths: string[] }[] = [];
  for (const email of emails) {
    const paths: string[] = [];
    for (const file of outboxFiles(email)) {
      const target = path.join(dir, file.name);
      await writeFile(target, file.content, 'utf8');
      paths.push(target);
    }
    written.push({ email, paths });
  }
  return written;
}
