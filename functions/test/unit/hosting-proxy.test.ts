/**
 * The Hosting emulator's rewrite to a function (the local stack's `/api/**`), as installed.
 * curl and many HTTP clients send `Expect: 100-continue` with a body over 1 MB; the emulator's
 * proxy used to forward that header to its HTTP client, which refuses it, and answered 500
 * "An internal error occurred while proxying" before the function ran. The patch in `patches/`
 * drops the hop-by-hop `Expect` header (the emulator has already answered the 100 itself), so the
 * function's own answer — 413 for an oversized body — reaches the client. A second patch lets a
 * path that is not percent-encoded UTF-8 reach the rewrite instead of failing the static-file
 * lookup with 500.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/* eslint-disable @typescript-eslint/no-require-imports -- firebase-tools internals, CommonJS */
const { proxyRequestHandler } = require('firebase-tools/lib/hosting/proxy') as {
  proxyRequestHandler: (
    url: string,
    id: string,
  ) => (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => Promise<void>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

function listen(handler: http.RequestListener): Promise<http.Server> {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1', () => {
      resolve(server);
    });
  });
}

function portOf(server: http.Server): number {
  return (server.address() as AddressInfo).port;
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

/** POSTs `body` with `Expect: 100-continue`, sending the body on the 100 as curl does. */
function postExpectingContinue(
  port: number,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/tasks',
      headers: {
        'content-type': 'application/json',
        'content-length': body.length,
        expect: '100-continue',
      },
    });
    req.on('continue', () => {
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
  });
}

describe('Hosting emulator static files in front of the rewrite', () => {
  // Hosting looks for a static file before it applies the `/api/**` rewrite. A path whose
  // percent-encoding is not UTF-8 (a lone surrogate's bytes, a stray %FF) made that lookup throw,
  // and the emulator answered 500 before the function could refuse the path (400).
  it('treats a path that is not percent-encoded UTF-8 as no file, so the rewrite applies', async () => {
    /* eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS internals */
    const provider = require('superstatic/lib/providers/fs') as (o: {
      cwd: string;
      public: string;
    }) => (req: unknown, pathname: string) => Promise<unknown>;
    const files = provider({ cwd: __dirname, public: '.' });
    await expect(files({}, '/api/workspaces/a%ED%A0%80b')).resolves.toBeNull();
    await expect(files({}, '/api/tasks/%FF')).resolves.toBeNull();
    await expect(files({}, '/no-such-file.txt')).resolves.toBeNull();
  });
});

describe('Hosting emulator rewrite to a function', () => {
  let fn: http.Server;
  let hosting: http.Server;
  const received: { bytes: number; expect: string | undefined }[] = [];

  beforeAll(async () => {
    // Stands in for the function: reads the whole body, answers 413 above 100 KiB.
    fn = await listen((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        received.push({ bytes, expect: req.headers.expect });
        res.statusCode = bytes > 100 * 1024 ? 413 : 201;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ bytes }));
      });
    });
    const handler = proxyRequestHandler(`http://127.0.0.1:${portOf(fn)}`, 'local Function api');
    hosting = await listen((req, res) => {
      void handler(req, res, () => {
        res.statusCode = 404;
        res.end();
      });
    });
  });

  afterAll(async () => {
    await Promise.all([close(hosting), close(fn)]);
  });

  it('passes a 2 MB body sent with Expect: 100-continue to the function and returns its 413', async () => {
    const body = Buffer.from(JSON.stringify({ title: 'a'.repeat(2_000_000) }));
    const answer = await postExpectingContinue(portOf(hosting), body);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text)).toEqual({ bytes: body.length });
    expect(received.at(-1)).toEqual({ bytes: body.length, expect: undefined });
  });

  it('passes a small body sent with Expect: 100-continue as well', async () => {
    const body = Buffer.from(JSON.stringify({ title: 'x' }));
    const answer = await postExpectingContinue(portOf(hosting), body);
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.text)).toEqual({ bytes: body.length });
  });
});
