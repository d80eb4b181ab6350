import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { z } from 'zod';
import { AppError } from '../../src/core/errors';
import { defineOperation } from '../../src/core/operation';
import { createApp } from '../../src/http/app';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

/**
 * The REST door of operations that stream their answer (`httpStream`, used by the GDPR export):
 * headers held until the first chunk, errors before it answered as JSON, errors after it cutting
 * the connection, backpressure, and a client that goes away.
 */
const fs = createTestFirestore();
const runtime = testRuntime(fs.db);
let clientGone: { resolve: (message: string) => void; promise: Promise<string> };

function deferred(): typeof clientGone {
  let resolve!: (message: string) => void;
  const promise = new Promise<string>((r) => {
    resolve = r;
  });
  return { resolve, promise };
}

const BIG_CHUNK = 'x'.repeat(64 * 1024);

const streamedOp = defineOperation({
  name: 'streamedForTest',
  summary: 'A streamed answer for the tests',
  access: 'public',
  http: { method: 'get', path: '/test/stream' },
  input: z.strictObject({ mode: z.enum(['ok', 'early', 'late', 'big', 'endless']) }),
  output: z.object({ items: z.array(z.number()) }),
  handler: () => Promise.resolve({ items: [] }),
  async httpStream({ mode }, _ctx, out) {
    out.setHeader('Content-Disposition', 'attachment; filename="test.json"');
    if (mode === 'early') throw AppError.notFound('Nothing to stream');
    if (mode === 'big') {
      await out.write('{"items":[],"pad":"');
      for (let i = 0; i < 128; i++) await out.write(BIG_CHUNK);
      await out.write('"}');
      return;
    }
    if (mode === 'endless') {
      await out.write('{"items":[0');
      try {
        for (;;) await out.write(`,${BIG_CHUNK.length}`.padEnd(4096, ' '));
      } catch (e) {
        clientGone.resolve(e instanceof Error ? e.message : String(e));
        throw e;
      }
    }
    await out.write('{"items":[');
    for (let i = 0; i < 3; i++) await out.write(`${i === 0 ? '' : ','}${i}`);
    if (mode === 'late') throw new Error('disk on fire');
    await out.write(']}');
  },
});

const app = createApp(runtime, [streamedOp]);
const get = (mode: string) => request(app).get('/api/test/stream').query({ mode });

beforeEach(() => {
  runtime.logger.lines.length = 0;
  clientGone = deferred();
});
afterAll(() => fs.dispose());

describe('streamed REST answers', () => {
  it('sends the pieces as one JSON body with the headers the operation set', async () => {
    const res = await get('ok').expect(200);
    expect(res.body).toEqual({ items: [0, 1, 2] });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="test.json"');
  });

  it('validates the input before the operation runs', async () => {
    const res = await get('sideways').expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(res.body.message).toMatch(/^mode: /);
  });

  it('answers an error thrown before the first piece as JSON, without the held headers', async () => {
    const res = await get('early').expect(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', message: 'Nothing to stream' });
    expect(res.headers['content-disposition']).toBeUndefined();
  });

  it('cuts the connection on an error after the first piece, and logs it', async () => {
    const outcome = await get('late').then(
      (res) => ({ status: res.status, text: res.text }),
      (e: unknown) => ({ error: String(e) }),
    );
    // Either the client sees the connection fail, or a body that is not valid JSON: never a
    // complete-looking answer.
    if ('text' in outcome) expect(() => JSON.parse(outcome.text) as unknown).toThrow();
    else expect(outcome.error).toMatch(/aborted|hang up|ECONNRESET/i);
    expect(runtime.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'Streamed response failed after it started',
        error: 'disk on fire',
      }),
    );
  });

  it('waits for the socket to drain: 8 MB arrive whole', async () => {
    const res = await get('big').expect(200);
    const body = res.body as { pad: string };
    expect(body.pad.length).toBe(128 * BIG_CHUNK.length);
  });

  it('stops writing when the client goes away', async () => {
    const server = app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`http://127.0.0.1:${port}/api/test/stream?mode=endless`, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        // After the destroy above this is a no-op: the promise has settled.
        req.on('error', reject);
      });
      await expect(clientGone.promise).resolves.toBe('the client closed the connection');
    } finally {
      server.close();
    }
  });
});
