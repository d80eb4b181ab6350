import express from 'express';
import request from 'supertest';
import { getPreferences } from '../../src/functions/operations.callables';

/**
 * Callables answer browsers with the REST API's CORS allow-list (CORS_ALLOWED_ORIGINS), whoever
 * serves them. The Functions emulator turns the SDK's own CORS on for every origin
 * (FIREBASE_DEBUG_FEATURES.enableCors), so these run with that switch on: what is refused here is
 * refused in production too.
 */
jest.setTimeout(30_000);
const saved = { ...process.env };
const ALLOWED = 'https://app.taskflow.example';
const REFUSED = 'https://evil.example';

beforeAll(() => {
  process.env.CORS_ALLOWED_ORIGINS = `${ALLOWED},http://localhost:5000`;
  process.env.FIREBASE_DEBUG_FEATURES = JSON.stringify({ enableCors: true });
});
afterAll(() => {
  process.env = saved;
});

/** Served as the Functions framework serves it: Express, JSON bodies parsed. */
const handler = express()
  .use(express.json())
  .all('/{*path}', getPreferences as unknown as express.RequestHandler);

function preflight(origin: string) {
  return request(handler)
    .options('/')
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'POST')
    .set('Access-Control-Request-Headers', 'authorization,content-type,x-firebase-appcheck');
}

describe('callable CORS (browser-style preflight)', () => {
  it('an allowed origin gets the allow headers for POST with the SDK’s headers', async () => {
    const res = await preflight(ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    expect(res.headers['access-control-allow-headers']).toBe(
      'authorization,content-type,x-firebase-appcheck',
    );
  });

  it('another origin gets no allow header, so the browser refuses the call', async () => {
    const res = await preflight(REFUSED);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('actual calls carry the allow header only for allowed origins', async () => {
    // Not a callable request (no `data`): the SDK answers 400 without running the operation.
    const allowed = await request(handler).post('/').set('Origin', ALLOWED).send({ x: 1 });
    expect(allowed.status).toBe(400);
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED);
    const refused = await request(handler).post('/').set('Origin', REFUSED).send({ x: 1 });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('`*` in the allow-list allows any origin (reflected), as for REST', async () => {
    process.env.CORS_ALLOWED_ORIGINS = '*';
    const res = await preflight(REFUSED);
    expect(res.headers['access-control-allow-origin']).toBe(REFUSED);
    process.env.CORS_ALLOWED_ORIGINS = `${ALLOWED},http://localhost:5000`;
  });

  it('keeps what the SDK and deploy tooling read from the function', () => {
    const fn = getPreferences as unknown as { __endpoint: object; run: unknown };
    expect(fn.__endpoint).toMatchObject({ callableTrigger: {}, platform: 'gcfv2' });
    expect(typeof fn.run).toBe('function');
  });
});
