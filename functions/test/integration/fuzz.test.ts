import fc from 'fast-check';
import type { Express } from 'express';
import { HttpsError } from 'firebase-functions/https';
import request from 'supertest';
import { runCallable } from '../../src/callable/callable';
import { setRuntimeForTesting } from '../../src/composition-root';
import { ERROR_KINDS } from '../../src/core/errors';
import type { Operation } from '../../src/core/operation';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';
import { hostileString, inputArbitrary } from '../support/zod-arbitrary';

/**
 * Property-based fuzzing of every operation in the registry, through both doors (REST and
 * callable), with inputs generated from the operation's own zod schema (see
 * test/support/zod-arbitrary.ts) and callers from valid to forged. For every request:
 * - never a 5xx (callable: never `internal`);
 * - an error answers the documented contract `{ error, code, message, details?, requestId }`
 *   (callable: an HttpsError whose details carry `code` and `requestId`);
 * - a rejected request changes nothing: the whole Firestore project is compared before and after;
 * and health still answers after each operation's run. `FUZZ_RUNS` sets the runs per operation
 * and door (`npm run fuzz -- --runs N`); `FUZZ_SEED` replays a reported seed.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? '6');
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
jest.setTimeout(Math.max(60_000, RUNS * 4_000));

const fs = createTestFirestore();
let owner: TestUser;
let admin: TestUser;
let outsider: TestUser;
let app: Express;
const known: string[] = [];
const tokens: Record<string, string | undefined> = {};
const stats = { requests: 0, rejected: 0 };

/** A JWT with the same header and signature as `token` and a changed payload. */
function tampered(token: string, change: (p: Record<string, unknown>) => void): string {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
    string,
    unknown
  >;
  change(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

beforeAll(async () => {
  [owner, admin, outsider] = await Promise.all([
    createTestUser(),
    createTestUser({ admin: true }),
    createTestUser(),
  ]);
  const runtime = testRuntime(fs.db, { config: { bodyLimitBytes: 100 * 1024 } });
  setRuntimeForTesting(runtime);
  app = createApp(runtime, operations);
  for (const u of [owner, admin, outsider]) {
    await fs.db.doc(`users/${u.uid}`).set({ email: u.email, timezone: 'Europe/Paris' });
  }
  // A small real world for valid inputs to land on.
  const ws = await request(app)
    .post('/api/workspaces')
    .set('Authorization', owner.bearer)
    .send({ name: 'Fuzz' })
    .expect(201);
  const project = await request(app)
    .post('/api/projects')
    .set('Authorization', owner.bearer)
    .send({ workspaceId: ws.body.id, name: 'P' })
    .expect(201);
  const task = await request(app)
    .post('/api/tasks')
    .set('Authorization', owner.bearer)
    .send({ projectId: project.body.id, title: 'T', assigneeId: owner.uid })
    .expect(201);
  known.push(ws.body.id, project.body.id, task.body.id, owner.uid, admin.uid, 'missing-id');
  // The snapshot compared around each rejected request sees real documents.
  expect(JSON.stringify(await fs.dump())).toContain(task.body.id);
  Object.assign(tokens, {
    owner: owner.bearer,
    admin: admin.bearer,
    outsider: outsider.bearer,
    none: undefined,
    garbage: 'Bearer not-a-token',
    basic: 'Basic dXNlcjpwYXNz',
    empty: 'Bearer ',
    expired: `Bearer ${tampered(owner.idToken, (p) => {
      p.exp = 1_000_000_000;
      p.iat = 999_999_000;
    })}`,
    wrongAudience: `Bearer ${tampered(owner.idToken, (p) => (p.aud = 'someone-else'))}`,
    forgedAdmin: `Bearer ${tampered(outsider.idToken, (p) => {
      p.admin = true;
      p.iss = 'https://evil.example';
    })}`,
  });
});
afterAll(async () => {
  setRuntimeForTesting(undefined);
  await fs.dispose();
  process.stdout.write(`fuzz: ${stats.requests} requests, ${stats.rejected} rejected\n`);
});

/** Percent-encodes anything, lone surrogates included (as their WTF-8 bytes). */
function encode(value: unknown): string {
  // JSON.stringify(undefined) is undefined, whatever its declared type says.
  const json = JSON.stringify(value) as string | undefined;
  const s = typeof value === 'string' ? value : (json ?? String(value));
  try {
    return encodeURIComponent(s);
  } catch {
    // Code point by code point: a lone surrogate is its own "code point" here.
    return Array.from(s)
      .map((ch) => {
        const c = ch.charCodeAt(0);
        if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) {
          return `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`;
        }
        return encodeURIComponent(ch);
      })
      .join('');
  }
}

function restRequest(op: Operation, input: unknown, auth: string | undefined, rawBody?: string) {
  const all = new Map<string, unknown>(
    typeof input === 'object' && input !== null && !Array.isArray(input)
      ? Object.entries(input)
      : [],
  );
  const path = op.http.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    const value = all.get(name) ?? 'x';
    all.delete(name);
    return encode(value);
  });
  const fields = Object.fromEntries(all);
  const inBody = ['post', 'put', 'patch'].includes(op.http.method);
  const query = inBody
    ? ''
    : Object.entries(fields)
        .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encode(k)}=${encode(x)}`))
        .join('&');
  let req = request(app)[op.http.method](`/api${path}${query === '' ? '' : `?${query}`}`);
  if (auth !== undefined) req = req.set('Authorization', auth);
  if (inBody) {
    req = req
      .set('Content-Type', 'application/json')
      .send(
        rawBody ??
          (JSON.stringify(Array.isArray(input) || typeof input !== 'object' ? input : fields) as
            string | undefined) ??
          'null',
      );
  }
  return req;
}

function expectErrorBody(body: unknown, status: number): void {
  expect(body).toEqual({
    error: expect.any(String),
    code: expect.any(String),
    message: expect.any(String),
    requestId: expect.any(String),
    ...(typeof body === 'object' && body !== null && 'details' in body
      ? { details: expect.anything() }
      : {}),
  });
  const code = (body as { code: keyof typeof ERROR_KINDS }).code;
  expect(ERROR_KINDS[code].status).toBe(status);
}

async function healthAnswers(): Promise<void> {
  const res = await request(app).get('/api/health');
  expect(res.status).toBe(200);
}

const callers = [
  'owner',
  'admin',
  'outsider',
  'none',
  'garbage',
  'basic',
  'empty',
  'expired',
  'wrongAudience',
  'forgedAdmin',
];
const restCaller = fc.constantFrom(...callers);
const malformed = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,]', '{"a":1}}', 'nul', '"\\ud800', '{"a":"\\x"}', '\u0000'),
  hostileString(),
);

describe.each(operations.map((op) => [op.name, op] as const))('fuzz %s', (_name, op) => {
  it('REST: no 5xx, the error contract, nothing changed when rejected', async () => {
    const inBody = ['post', 'put', 'patch'].includes(op.http.method);
    await fc.assert(
      fc.asyncProperty(
        inputArbitrary(op.input, known),
        restCaller,
        inBody ? fc.option(malformed, { freq: 8 }) : fc.constant(null),
        async (input, who, raw) => {
          const before = await fs.dump();
          const req = restRequest(op, input, tokens[who], raw ?? undefined);
          const res = await req;
          stats.requests++;
          expect(res.status).toBeLessThan(500);
          if (res.status === 431) {
            // Node's HTTP parser refuses a request line plus headers over 16 KiB before Express
            // runs (in production the Google front end does, with its own page): no app contract.
            // The headers (an ID token is 1–2 KiB) count too, hence the margin.
            expect(new URL(req.url).href.length).toBeGreaterThan(16 * 1024 - 4 * 1024);
            stats.rejected++;
          } else if (res.status >= 400) {
            stats.rejected++;
            expectErrorBody(res.body, res.status);
            expect(await fs.dump()).toEqual(before);
          }
        },
      ),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    await healthAnswers();
  });

  it('callable: never internal, the error details, nothing changed when rejected', async () => {
    const users: Record<string, TestUser | null> = { owner, admin, outsider, none: null };
    await fc.assert(
      fc.asyncProperty(
        inputArbitrary(op.input, known),
        fc.constantFrom('owner', 'admin', 'outsider', 'none'),
        fc.option(hostileString(), { freq: 3 }),
        async (input, who, requestId) => {
          const user = users[who] ?? null;
          const before = await fs.dump();
          const call = runCallable(
            () => Promise.resolve(op),
            {
              data: input,
              ...(user
                ? { auth: { uid: user.uid, token: { uid: user.uid, admin: user === admin } } }
                : {}),
              rawRequest: {
                header: (name: string) =>
                  name.toLowerCase() === 'x-request-id' ? (requestId ?? undefined) : undefined,
              },
            } as never,
            false,
          );
          stats.requests++;
          const outcome = await call.then(
            () => null,
            (e: unknown) => e,
          );
          if (outcome === null) return;
          stats.rejected++;
          expect(outcome).toBeInstanceOf(HttpsError);
          const e = outcome as HttpsError;
          expect(e.code).not.toBe('internal');
          expect(e.details).toMatchObject({
            code: expect.any(String),
            requestId: expect.any(String),
          });
          expect(await fs.dump()).toEqual(before);
        },
      ),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    await healthAnswers();
  });
});
