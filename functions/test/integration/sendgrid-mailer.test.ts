import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sgMail from '@sendgrid/mail';
import { FixedClock } from '../../src/core/clock';
import { DeliveryError, type EmailMessage } from '../../src/domain/notifications/channels';
import { renderEmail } from '../../src/domain/notifications/email-templates';
import { firestoreCaptureMailer } from '../../src/infra/email/capture.mailer';
import { dumpOutbox } from '../../scripts/outbox-files';
import { sendgridMailer } from '../../src/infra/email/sendgrid.mailer';
import { createTestFirestore } from '../support/firestore';
import { freePort } from '../support/ports';
import { DEV_OUTBOX } from '../../src/storage/collections';

const API_KEY = 'SG.test-key.0123456789abcdefSECRET';
const FROM = { email: 'notifications@taskflow.test', name: 'TaskFlow' };

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/**
 * A stand-in for api.sendgrid.com on 127.0.0.1: records each request and answers with what the
 * test asks for (`reply`), by default SendGrid's 202 with an X-Message-Id.
 */
class Sink {
  readonly requests: Recorded[] = [];
  reply: (res: ServerResponse) => void = (res) => {
    res.writeHead(202, { 'X-Message-Id': 'sg-msg-1' });
    res.end();
  };
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: raw === '' ? null : JSON.parse(raw),
        });
        this.reply(res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }
}

const sink = new Sink();
let baseUrl: string;

beforeAll(async () => {
  baseUrl = await sink.start();
});
afterAll(() => sink.stop());
beforeEach(() => {
  sink.requests.length = 0;
  sink.reply = (res) => {
    res.writeHead(202, { 'X-Message-Id': 'sg-msg-1' });
    res.end();
  };
});

const rendered = renderEmail(
  {
    kind: 'task_event',
    taskTitle: 'Write the launch post',
    taskUrl: 'https://taskflow.test/tasks/t1',
    changes: [
      { category: 'task_assigned', text: 'Ben assigned this task to you', at: new Date(0) },
    ],
  },
  {
    unsubscribeUrl: 'https://taskflow.test/api/unsubscribe?token=tok',
    preferencesUrl: 'https://taskflow.test/settings',
    appUrl: 'https://taskflow.test/',
  },
);

const message: EmailMessage = {
  ...rendered,
  to: 'ana@example.com',
  toName: 'Ana Núñez',
  headers: {
    'List-Unsubscribe': '<https://taskflow.test/api/unsubscribe?token=tok>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  category: 'task_assigned',
  customArgs: { deliveryId: 'del-1', userId: 'user-b' },
};

const mailer = (opts: { baseUrl?: string; timeoutMs?: number } = {}) =>
  sendgridMailer({ apiKey: API_KEY, from: FROM, baseUrl: opts.baseUrl ?? baseUrl, ...opts });

/** The DeliveryError `send` rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the send to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  const error = err as DeliveryError;
  expect(error.message).not.toContain(API_KEY);
  expect(error.message).not.toContain('SECRET');
  expect(JSON.stringify(error)).not.toContain('SECRET');
  return error;
}

describe('sendgridMailer against a local sink (the real @sendgrid/mail client)', () => {
  it('POSTs /v3/mail/send with the bearer key and the full message; answers X-Message-Id', async () => {
    const result = await mailer().send(message);
    expect(result).toEqual({ messageId: 'sg-msg-1' });
    expect(sink.requests).toHaveLength(1);
    const req = sink.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v3/mail/send');
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.body).toEqual({
      from: FROM,
      subject: 'Assigned: Write the launch post',
      personalizations: [{ to: [{ email: 'ana@example.com', name: 'Ana Núñez' }] }],
      // SendGrid requires text/plain before text/html.
      content: [
        { type: 'text/plain', value: rendered.text },
        { type: 'text/html', value: rendered.html },
      ],
      headers: {
        'List-Unsubscribe': '<https://taskflow.test/api/unsubscribe?token=tok>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      categories: ['task_assigned'],
      custom_args: { deliveryId: 'del-1', userId: 'user-b' },
      tracking_settings: {
        click_tracking: { enable: false, enable_text: false },
        open_tracking: { enable: false },
        subscription_tracking: { enable: false },
      },
    });
  });

  it('a recipient without a name is sent as a bare address', async () => {
    await mailer().send({ ...message, toName: undefined });
    expect((sink.requests[0]!.body as { personalizations: unknown }).personalizations).toEqual([
      { to: [{ email: 'ana@example.com' }] },
    ]);
  });

  it('no X-Message-Id header: messageId null', async () => {
    sink.reply = (res) => {
      res.writeHead(202);
      res.end();
    };
    expect(await mailer().send(message)).toEqual({ messageId: null });
  });

  it('mailers do not share state: each keeps its own base URL and key', async () => {
    const other = sendgridMailer({
      apiKey: 'SG.other',
      from: FROM,
      baseUrl: 'http://127.0.0.1:1/',
    });
    await mailer().send(message);
    expect(sink.requests[0]!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    await failure(other.send(message));
    expect(sink.requests).toHaveLength(1);
    // The package's shared singleton is untouched.
    const shared = (
      sgMail as unknown as { client: { auth: string; defaultRequest: { baseUrl: string } } }
    ).client;
    expect(shared.auth).toBe('');
    expect(shared.defaultRequest.baseUrl).toBe('https://api.sendgrid.com/');
  });

  it('429 → transient sendgrid/429', async () => {
    sink.reply = (res) => {
      res.writeHead(429, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'too many requests' }] }));
    };
    const err = await failure(mailer().send(message));
    expect(err.kind).toBe('transient');
    expect(err.code).toBe('sendgrid/429');
    expect(err.message).toContain('too many requests');
  });

  it.each([500, 502, 503])('%i → transient', async (status) => {
    sink.reply = (res) => {
      res.writeHead(status, { 'Content-Type': 'text/html' });
      res.end('<html>upstream error</html>');
    };
    const err = await failure(mailer().send(message));
    expect(err.kind).toBe('transient');
    expect(err.code).toBe(`sendgrid/${status}`);
  });

  it("400 → permanent, with SendGrid's error messages (and fields)", async () => {
    sink.reply = (res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          errors: [
            {
              message: 'The from address does not match a verified Sender Identity.',
              field: 'from',
              help: null,
            },
            { message: 'Invalid category', field: null, help: null },
          ],
        }),
      );
    };
    const err = await failure(mailer().send(message));
    expect(err.kind).toBe('permanent');
    expect(err.code).toBe('sendgrid/400');
    expect(err.message).toBe(
      'SendGrid rejected the email (400): The from address does not match a verified Sender Identity. (from); Invalid category',
    );
  });

  it('401 (bad key) → permanent; the key is not echoed even if SendGrid repeats it', async () => {
    sink.reply = (res) => {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: `invalid key ${API_KEY}` }] }));
    };
    const err = await failure(mailer().send(message));
    expect(err.kind).toBe('permanent');
    expect(err.code).toBe('sendgrid/401');
    expect(err.message).toContain('invalid key [redacted]');
  });

  it('connection refused → transient sendgrid/network', async () => {
    const port = await freePort();
    const err = await failure(mailer({ baseUrl: `http://127.0.0.1:${port}/` }).send(message));
    expect(err.kind).toBe('transient');
    expect(err.code).toBe('sendgrid/network');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('no answer within timeoutMs → transient sendgrid/network', async () => {
    sink.reply = () => undefined; // never answers; stop() closes the socket
    const started = Date.now();
    const err = await failure(mailer({ timeoutMs: 300 }).send(message));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.kind).toBe('transient');
    expect(err.code).toBe('sendgrid/network');
  });

  it('a header that is not printable ASCII → permanent, nothing sent', async () => {
    const err = await failure(
      mailer().send({ ...message, headers: { ...message.headers, 'X-Bad': 'a\r\nBcc: x@y' } }),
    );
    expect(err.kind).toBe('permanent');
    expect(err.code).toBe('sendgrid/invalid-message');
    expect(sink.requests).toHaveLength(0);
  });
});

describe('firestoreCaptureMailer and the outbox dump (local runs)', () => {
  const fs = createTestFirestore();
  const clock = new FixedClock('2026-11-23T10:00:00Z');
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await fs.clear();
  });
  afterAll(() => fs.dispose());

  it('writes one readable devOutbox document per email and answers captured-<id>', async () => {
    const capture = firestoreCaptureMailer(fs.db, clock, { from: FROM });
    const { messageId } = await capture.send(message);
    expect(messageId).toMatch(/^captured-[A-Za-z0-9]{20}$/);
    const id = messageId!.slice('captured-'.length);
    const snap = await fs.db.collection(DEV_OUTBOX).doc(id).get();
    expect(snap.data()).toEqual({
      kind: 'email',
      to: 'ana@example.com',
      toName: 'Ana Núñez',
      from: FROM,
      subject: message.subject,
      html: message.html,
      text: message.text,
      headers: message.headers,
      category: 'task_assigned',
      customArgs: { deliveryId: 'del-1', userId: 'user-b' },
      capturedAt: expect.anything(),
    });
    expect(snap.get('capturedAt').toDate()).toEqual(clock.now());
    expect(sink.requests).toHaveLength(0);
  });

  it('dumpOutbox writes .html/.txt/.eml per captured email, skipping other kinds', async () => {
    const capture = firestoreCaptureMailer(fs.db, clock);
    const first = await capture.send(message);
    clock.advance(60_000);
    const second = await capture.send({ ...message, to: 'ben@example.com', subject: 'Second' });
    await fs.db.collection(DEV_OUTBOX).add({ kind: 'push', capturedAt: clock.now() });

    const written = await dumpOutbox(fs.db, dir);
    expect(written.map((w) => w.email.subject)).toEqual([message.subject, 'Second']);
    const names = (await readdir(dir)).sort();
    const id1 = first.messageId!.slice('captured-'.length);
    const id2 = second.messageId!.slice('captured-'.length);
    expect(names).toEqual(
      [
        `2026-11-23T10-00-00.000Z-ana@example.com-${id1}`,
        `2026-11-23T10-01-00.000Z-ben@example.com-${id2}`,
      ].flatMap((b) => [`${b}.eml`, `${b}.html`, `${b}.txt`]),
    );
    const base = path.join(dir, `2026-11-23T10-00-00.000Z-ana@example.com-${id1}`);
    expect(await readFile(`${base}.html`, 'utf8')).toBe(message.html);
    expect(await readFile(`${base}.txt`, 'utf8')).toBe(message.text);
    const eml = await readFile(`${base}.eml`, 'utf8');
    expect(eml).toContain('Subject: Assigned: Write the launch post\r\n');
    expect(eml).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n');
    expect(eml).toContain('Content-Type: multipart/alternative;');

    const limited = await dumpOutbox(fs.db, dir, { limit: 2 });
    expect(limited.map((w) => w.email.subject)).toEqual(['Second']);
  });
});
