import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { configProblems, emailConfigProblems } from '../../src/config/config-check';
import * as params from '../../src/config/params';
import { FixedClock } from '../../src/core/clock';
import { checkHealth } from '../../src/domain/health/health.service';
import { DeliveryError } from '../../src/domain/notifications/channels';
import { liveMailer } from '../../src/infra/email/live.mailer';

const ROOT = path.resolve(__dirname, '../../..');
const FUNCTIONS = path.join(ROOT, 'functions');

const production = {
  deliveryTransport: 'live',
  publicBaseUrl: 'https://taskflow.app',
  emailFrom: 'notifications@taskflow.app',
  unsubscribeSigningKeySet: true,
  sendgridApiKeySet: true,
};

describe('configuration problems (what would break an effect in a real project)', () => {
  it('a complete production configuration has none', () => {
    expect(configProblems(production)).toEqual([]);
  });

  it.each([
    ['http://localhost:5000', 'PUBLIC_BASE_URL'],
    ['http://127.0.0.1:5000', 'PUBLIC_BASE_URL'],
    ['http://taskflow.app', 'PUBLIC_BASE_URL'],
    ['https://app.taskflow.test', 'PUBLIC_BASE_URL'],
    ['not a url', 'PUBLIC_BASE_URL'],
  ])('live email links to %s are refused, naming %s', (publicBaseUrl, param) => {
    const problems = emailConfigProblems({ ...production, publicBaseUrl });
    expect(problems.map((p) => p.param)).toEqual([param]);
    expect(problems[0]?.affects).toBe('email');
  });

  it.each(['notifications@taskflow.test', 'noreply@localhost', 'nobody', ''])(
    'a live sender %j is refused, naming EMAIL_FROM',
    (emailFrom) => {
      expect(emailConfigProblems({ ...production, emailFrom }).map((p) => p.param)).toEqual([
        'EMAIL_FROM',
      ]);
    },
  );

  it('captured deliveries may use local links and senders (a local stack)', () => {
    expect(
      configProblems({
        ...production,
        deliveryTransport: 'capture',
        publicBaseUrl: 'http://localhost:5000',
        emailFrom: 'notifications@taskflow.test',
        sendgridApiKeySet: false,
      }),
    ).toEqual([]);
  });

  it('missing secrets are named; secrets a function does not declare are not judged', () => {
    const names = configProblems({
      ...production,
      unsubscribeSigningKeySet: false,
      sendgridApiKeySet: false,
    }).map((p) => p.param);
    expect(names.sort()).toEqual(['SENDGRID_API_KEY', 'UNSUBSCRIBE_SIGNING_KEY']);
    expect(
      configProblems({
        ...production,
        unsubscribeSigningKeySet: undefined,
        sendgridApiKeySet: undefined,
      }),
    ).toEqual([]);
  });

  it('the health report lists them and calls the service degraded, not down', async () => {
    const report = await checkHealth(
      { firestore: () => Promise.resolve() },
      new FixedClock('2026-12-01T00:00:00Z'),
      {
        version: '1',
        slowMs: 1000,
        timeoutMs: 1000,
        configProblems: () =>
          configProblems({ ...production, publicBaseUrl: 'http://localhost:5000' }),
      },
    );
    expect(report.status).toBe('degraded');
    expect(report.config).toEqual({
      status: 'warn',
      problems: [expect.objectContaining({ param: 'PUBLIC_BASE_URL', affects: 'email' })],
    });
  });
});

describe('the live mailer', () => {
  const message = {
    to: 'bob@example.com',
    subject: 'Hi',
    html: '<p>Hi</p>',
    text: 'Hi',
    headers: {},
    category: 'task_assigned',
    customArgs: {},
  };

  it('refuses to send while a setting would mislead a real person, naming the param', async () => {
    const apiKey = jest.fn(() => 'SG.key');
    const mailer = liveMailer({
      config: () => ({ ...production, publicBaseUrl: 'http://localhost:5000' }),
      apiKey,
      from: { email: 'notifications@taskflow.app', name: 'TaskFlow' },
    });
    const error = await mailer.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error).toMatchObject({ kind: 'transient', code: 'config' });
    expect((error as Error).message).toMatch(/^PUBLIC_BASE_URL /);
    expect(apiKey).not.toHaveBeenCalled();
  });

  it('reads the SendGrid key only when an email is sent, and names it when it is missing', async () => {
    const { ConfigError } = await import('../../src/core/errors');
    const apiKey = jest.fn((): string => {
      throw new ConfigError('SENDGRID_API_KEY', 'is not set');
    });
    const mailer = liveMailer({
      config: () => production,
      apiKey,
      from: { email: 'notifications@taskflow.app', name: 'TaskFlow' },
    });
    expect(apiKey).not.toHaveBeenCalled();
    await expect(mailer.send(message)).rejects.toMatchObject({
      kind: 'transient',
      code: 'config',
      message: 'SENDGRID_API_KEY is not set',
    });
  });
});

describe('one region, one list of params', () => {
  const firebaseJson = JSON.parse(readFileSync(path.join(ROOT, 'firebase.json'), 'utf8')) as {
    hosting: { rewrites: { source: string; function?: { functionId: string; region: string } }[] };
  };
  const regionDefault = (params.REGION as unknown as { options: { default: string } }).options
    .default;

  it('the Hosting rewrite to the api names the REGION param’s region', () => {
    const rewrite = firebaseJson.hosting.rewrites.find((r) => r.function?.functionId === 'api');
    expect(rewrite?.function?.region).toBe(regionDefault);
  });

  it('no committed env file moves the functions to another region than the rewrite', () => {
    const envFiles = readdirSync(FUNCTIONS).filter((f) => /^\.env(\.|$)/.test(f));
    for (const file of envFiles) {
      const region = /^REGION=(.*)$/m.exec(readFileSync(path.join(FUNCTIONS, file), 'utf8'))?.[1];
      if (region !== undefined && file !== '.env.example') expect(region).toBe(regionDefault);
    }
  });

  it('functions/.env.example lists every param and secret, and nothing else', () => {
    const declared = [
      ...readFileSync(path.join(FUNCTIONS, 'src/config/params.ts'), 'utf8').matchAll(
        /define(?:String|Int|Boolean|Secret|List)\(\s*'([A-Z0-9_]+)'/g,
      ),
    ].map((m) => m[1]);
    const listed = [
      ...readFileSync(path.join(FUNCTIONS, '.env.example'), 'utf8').matchAll(
        /^#?\s?([A-Z][A-Z0-9_]+)=/gm,
      ),
    ].map((m) => m[1]);
    expect([...new Set(listed)].sort()).toEqual([...new Set(declared)].sort());
  });

  it('the local stack takes its region from firebase.json, not from a copy', () => {
    const start = readFileSync(path.join(FUNCTIONS, 'scripts/start.cjs'), 'utf8');
    expect(start).not.toMatch(/'us-central1'|"us-central1"/);
  });
});
