import request from 'supertest';
import { FixedClock } from '../../src/core/clock';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestFirestore } from '../support/firestore';
import { TEST_CONFIG, testRuntime } from '../support/runtime';

const fs = createTestFirestore();
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

/**
 * What reaches the function in production (Cloud Functions 2nd gen on Cloud Run): the Google
 * front end appends the address that connected to it to `X-Forwarded-For`. Behind the Hosting
 * rewrite that address is a Hosting (Fastly) edge, which appended the client's address before it
 * and set `Fastly-Client-IP`. `TRUST_PROXY_HOPS` = 1 (the Google front end).
 */
function appWith(limits: Partial<typeof TEST_CONFIG.rateLimit>) {
  const runtime = testRuntime(fs.db, {
    clock: new FixedClock('2026-11-23T10:00:10Z'),
    config: {
      trustProxyHops: 1,
      rateLimit: { ...TEST_CONFIG.rateLimit, ...limits },
      notifications: { ...TEST_CONFIG.notifications, sendgridWebhookPublicKey: 'unused-key' },
    },
  });
  return createApp(runtime, operations);
}

const EDGE = '151.101.1.195';
const viaHosting = (client: string) => ({
  'X-Forwarded-For': `${client}, ${EDGE}`,
  'Fastly-Client-IP': client,
});

describe('per-IP limit: the client address', () => {
  it('keys Hosting-rewritten requests by the client, not by the Hosting edge', async () => {
    const app = appWith({ ipPerMinute: 2 });
    await request(app).get('/api/nope').set(viaHosting('203.0.113.7')).expect(404);
    await request(app).get('/api/nope').set(viaHosting('203.0.113.7')).expect(404);
    await request(app).get('/api/nope').set(viaHosting('203.0.113.7')).expect(429);
    // Another client behind the same edge is not affected.
    await request(app).get('/api/nope').set(viaHosting('198.51.100.9')).expect(404);
  });

  it('keys direct requests by the address the front end saw, whatever the client claims', async () => {
    const app = appWith({ ipPerMinute: 2 });
    const direct = (claimed: string) => ({ 'X-Forwarded-For': `${claimed}, 192.0.2.50` });
    await request(app).get('/api/nope').set(direct('10.0.0.1')).expect(404);
    await request(app).get('/api/nope').set(direct('10.0.0.2')).expect(404);
    await request(app).get('/api/nope').set(direct('10.0.0.3')).expect(429);
  });

  it('does not take a forged Fastly-Client-IP value as the address', async () => {
    const app = appWith({ ipPerMinute: 2 });
    const forged = (n: number) => ({
      'X-Forwarded-For': `203.0.113.7, ${EDGE}`,
      'Fastly-Client-IP': `10.9.9.${String(n)}`,
    });
    await request(app).get('/api/nope').set(forged(1)).expect(404);
    await request(app).get('/api/nope').set(forged(2)).expect(404);
    await request(app).get('/api/nope').set(forged(3)).expect(429);
  });
});

describe('SendGrid webhook limit', () => {
  it('limits the webhook per address before verifying a signature or reading the body', async () => {
    const app = appWith({ ipPerMinute: 0, webhookPerMinute: 2 });
    const path = '/api/webhooks/sendgrid/events';
    const unsigned = () =>
      request(app).post(path).set(viaHosting('203.0.113.66')).type('json').send('[]');
    await unsigned().expect(401);
    await unsigned().expect(401);
    const limited = await unsigned().expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('50');
    // Another sender is not affected.
    await request(app)
      .post(path)
      .set(viaHosting('203.0.113.67'))
      .type('json')
      .send('[]')
      .expect(401);
  });
});
