import { Timestamp } from 'firebase-admin/firestore';
import {
  capturedEmailFromDoc,
  outboxFileBase,
  outboxFiles,
  toEml,
  type CapturedEmail,
} from '../../scripts/outbox-files';

const email: CapturedEmail = {
  id: 'AbC123xyz',
  to: 'ana@example.com',
  toName: 'Ana "the PM" Núñez',
  from: { email: 'notifications@taskflow.test', name: 'TaskFlow' },
  subject: 'Your daily summary — 4 done, 2 due soon',
  html: `<!DOCTYPE html><html><body><p style="color:#1f2937;">Héllo = wörld</p>${'<td>x</td>'.repeat(30)}</body></html>`,
  text: 'Hi Ana,\n\nTask ✓ done \nUnsubscribe: https://taskflow.test/api/unsubscribe?token=t\n',
  headers: {
    'List-Unsubscribe': '<https://taskflow.test/api/unsubscribe?token=t>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  category: 'daily_summary',
  customArgs: { deliveryId: 'd-1', userId: 'u-é' },
  capturedAt: new Date('2026-11-23T10:00:00.000Z'),
};

/** Decodes quoted-printable (RFC 2045) back to a UTF-8 string with LF line ends. */
function decodeQp(body: string): string {
  const joined = body.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const c = joined[i]!;
    if (c === '=') {
      bytes.push(parseInt(joined.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c === '\r' ? '' : c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeWords(value: string): string {
  return value
    .replace(/\r\n /g, '')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/g, (_m, b64: string) =>
      Buffer.from(b64, 'base64').toString(),
    );
}

/** Splits an .eml into its header map (unfolded, raw) and its MIME parts. */
function parseEml(eml: string) {
  const [head, ...rest] = eml.split('\r\n\r\n');
  const headers = new Map<string, string>();
  for (const line of head!.replace(/\r\n /g, '\r\n\t').split(/\r\n(?!\t)/)) {
    const i = line.indexOf(':');
    headers.set(line.slice(0, i), line.slice(i + 2).replace(/\r\n\t/g, '\r\n '));
  }
  const boundary = /boundary="([^"]+)"/.exec(headers.get('Content-Type') ?? '')![1]!;
  const body = rest.join('\r\n\r\n');
  const parts = body
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((p) => {
      const [partHead, ...partBody] = p.replace(/^\r\n/, '').split('\r\n\r\n');
      return { head: partHead!, body: partBody.join('\r\n\r\n').replace(/\r\n$/, '') };
    });
  return { headers, boundary, body, parts };
}

describe('capturedEmailFromDoc', () => {
  const doc = {
    kind: 'email',
    to: 'ana@example.com',
    toName: null,
    from: null,
    subject: 'S',
    html: '<p>h</p>',
    text: 't',
    headers: { 'List-Unsubscribe': '<https://x>' },
    category: 'task_assigned',
    customArgs: { deliveryId: 'd' },
    capturedAt: Timestamp.fromDate(new Date('2026-11-23T10:00:00Z')),
  };

  it('reads a captured email document (Timestamp → Date)', () => {
    const { kind: _kind, ...fields } = doc;
    expect(capturedEmailFromDoc('id1', doc)).toEqual({
      ...fields,
      id: 'id1',
      capturedAt: new Date('2026-11-23T10:00:00Z'),
    });
  });

  it('skips other kinds and malformed documents', () => {
    expect(capturedEmailFromDoc('p', { ...doc, kind: 'push' })).toBeNull();
    expect(capturedEmailFromDoc('m', { ...doc, html: undefined })).toBeNull();
    expect(capturedEmailFromDoc('m', { ...doc, capturedAt: 'yesterday' })).toBeNull();
    expect(capturedEmailFromDoc('m', null)).toBeNull();
  });
});

describe('outbox files', () => {
  it('names files <capturedAt>-<to>-<id>, safe on every file system', () => {
    expect(outboxFileBase(email)).toBe('2026-11-23T10-00-00.000Z-ana@example.com-AbC123xyz');
    const odd = { ...email, to: 'a/../b c@x.test', id: 'x/y' };
    expect(outboxFileBase(odd)).toBe('2026-11-23T10-00-00.000Z-a_.._b_c@x.test-x_y');
  });

  it('writes the HTML part, the text part and the whole message', () => {
    const files = outboxFiles(email);
    const base = '2026-11-23T10-00-00.000Z-ana@example.com-AbC123xyz';
    expect(files.map((f) => f.name)).toEqual([`${base}.html`, `${base}.txt`, `${base}.eml`]);
    expect(files[0]!.content).toBe(email.html);
    expect(files[1]!.content).toBe(email.text);
    expect(files[2]!.content).toBe(toEml(email));
  });
});

describe('toEml (RFC 5322, multipart/alternative)', () => {
  const eml = toEml(email);
  const parsed = parseEml(eml);

  it('uses CRLF line ends only, and no line longer than 998 characters', () => {
    expect(eml.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of eml.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
  });

  it('has the RFC 5322 and MIME headers, the captured headers and the tags', () => {
    const h = parsed.headers;
    expect(h.get('From')).toBe('"TaskFlow" <notifications@taskflow.test>');
    expect(decodeWords(h.get('To')!)).toBe('Ana "the PM" Núñez <ana@example.com>');
    expect(h.get('Subject')).toMatch(/^=\?UTF-8\?B\?/);
    expect(decodeWords(h.get('Subject')!)).toBe(email.subject);
    expect(h.get('Date')).toBe('Mon, 23 Nov 2026 10:00:00 +0000');
    expect(h.get('Message-ID')).toBe('<captured-AbC123xyz@taskflow.local>');
    expect(h.get('MIME-Version')).toBe('1.0');
    expect(h.get('List-Unsubscribe')).toBe('<https://taskflow.test/api/unsubscribe?token=t>');
    expect(h.get('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(h.get('X-TaskFlow-Category')).toBe('daily_summary');
    expect(JSON.parse(h.get('X-TaskFlow-Custom-Args')!)).toEqual(email.customArgs);
    expect(h.get('Content-Type')).toBe(`multipart/alternative; boundary="${parsed.boundary}"`);
    // Header lines are ASCII (non-ASCII only inside encoded words).
    expect(eml.slice(0, eml.indexOf('\r\n\r\n'))).toMatch(/^[\x20-\x7e\r\n]*$/);
  });

  it('encoded words are at most 75 characters each', () => {
    const long = toEml({ ...email, subject: `Ünïcödé ${'ß'.repeat(80)}` });
    const words = long.match(/=\?UTF-8\?B\?[^?]*\?=/g)!;
    expect(words.length).toBeGreaterThan(2);
    for (const w of words) expect(w.length).toBeLessThanOrEqual(75);
    expect(decodeWords(parseEml(long).headers.get('Subject')!)).toBe(`Ünïcödé ${'ß'.repeat(80)}`);
  });

  it('text part first, then HTML; both quoted-printable UTF-8 that decode to the originals', () => {
    expect(parsed.parts).toHaveLength(2);
    const [text, html] = parsed.parts;
    expect(text!.head).toBe(
      'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable',
    );
    expect(html!.head).toBe(
      'Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable',
    );
    expect(decodeQp(text!.body)).toBe(email.text);
    expect(decodeQp(html!.body)).toBe(email.html);
    expect(parsed.body.endsWith(`--${parsed.boundary}--\r\n`)).toBe(true);
  });

  it('quoted-printable lines are at most 76 characters, ASCII, no trailing space', () => {
    for (const part of parsed.parts) {
      for (const line of part.body.split('\r\n')) {
        expect(line.length).toBeLessThanOrEqual(76);
        expect(line).toMatch(/^[\x21-\x7e]?([\x20-\x7e]*[\x21-\x7e])?$/);
      }
    }
  });

  it('the boundary cannot occur inside the parts', () => {
    for (const part of parsed.parts) expect(part.body).not.toContain(parsed.boundary);
  });

  it('an email captured without a sender gets the local default', () => {
    expect(parseEml(toEml({ ...email, from: null })).headers.get('From')).toBe(
      '"TaskFlow" <notifications@taskflow.test>',
    );
    expect(parseEml(toEml({ ...email, toName: null })).headers.get('To')).toBe('<ana@example.com>');
  });
});
