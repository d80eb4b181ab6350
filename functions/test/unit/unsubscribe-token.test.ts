import { createHmac } from 'node:crypto';
import { FixedClock } from '../../src/core/clock';
import { AppError } from '../../src/core/errors';
import {
  isExpiredUnsubscribeLink,
  signUnsubscribeToken,
  UNSUBSCRIBE_SCOPES,
  UNSUBSCRIBE_TOKEN_TTL_SECONDS,
  unsubscribeLinks,
  verifyUnsubscribeToken,
  type UnsubscribeScope,
} from '../../src/domain/notifications/unsubscribe.service';

const KEY = 'unit-test-unsubscribe-key-0123456789';
const NOW = '2026-11-23T10:00:00Z';
const subject = { uid: 'user_abc123', scope: 'dailySummary' as const };

/** The AppError `fn` throws (fails the test when it throws nothing or something else). */
function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('expected an AppError');
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');
const sig = (key: string, payload: string) =>
  createHmac('sha256', key).update(`taskflow-unsubscribe.${payload}`).digest('base64url');

describe('unsubscribe tokens', () => {
  it('round-trips every scope', () => {
    const clock = new FixedClock(NOW);
    for (const scope of Object.keys(UNSUBSCRIBE_SCOPES) as UnsubscribeScope[]) {
      const token = signUnsubscribeToken(KEY, clock, { uid: 'u1', scope });
      expect(verifyUnsubscribeToken(KEY, clock, token)).toEqual({ uid: 'u1', scope });
    }
  });

  it('is compact, URL-safe and carries {uid, scope, exp, v: 1} with a 60-day default lifetime', () => {
    const clock = new FixedClock(NOW);
    const token = signUnsubscribeToken(KEY, clock, { uid: 'a'.repeat(28), scope: 'email' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(token.length).toBeLessThan(160);
    const payload = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    expect(payload).toEqual({
      uid: 'a'.repeat(28),
      scope: 'email',
      exp: Date.parse(NOW) / 1000 + 60 * 24 * 3600,
      v: 1,
    });
    expect(UNSUBSCRIBE_TOKEN_TTL_SECONDS).toBe(5_184_000);
  });

  it('is valid until exp and expired from exp on (FAILED_PRECONDITION, not a validation error)', () => {
    const clock = new FixedClock(NOW);
    const token = signUnsubscribeToken(KEY, clock, subject, 3600);
    clock.advance(3600 * 1000 - 1000);
    expect(verifyUnsubscribeToken(KEY, clock, token)).toEqual(subject);
    clock.advance(1000);
    const e = errorOf(() => verifyUnsubscribeToken(KEY, clock, token));
    expect(e.code).toBe('FAILED_PRECONDITION');
    expect(e.message).toMatch(/expired/);
    expect(isExpiredUnsubscribeLink(e)).toBe(true);
  });

  it('the default lifetime ends after 60 days', () => {
    const clock = new FixedClock(NOW);
    const token = signUnsubscribeToken(KEY, clock, subject);
    clock.advance((UNSUBSCRIBE_TOKEN_TTL_SECONDS - 1) * 1000);
    expect(verifyUnsubscribeToken(KEY, clock, token)).toEqual(subject);
    clock.advance(1000);
    expect(isExpiredUnsubscribeLink(errorOf(() => verifyUnsubscribeToken(KEY, clock, token)))).toBe(
      true,
    );
  });

  it('rejects a token signed with another key', () => {
    const clock = new FixedClock(NOW);
    const token = signUnsubscribeToken('another-key-entirely-0123456789', clock, subject);
    const e = errorOf(() => verifyUnsubscribeToken(KEY, clock, token));
    expect(e.code).toBe('VALIDATION_ERROR');
    expect(e.message).toBe('token: has an invalid signature');
    expect(isExpiredUnsubscribeLink(e)).toBe(false);
  });

  it('rejects a tampered payload (another user, another scope, a later exp)', () => {
    const clock = new FixedClock(NOW);
    const token = signUnsubscribeToken(KEY, clock, subject);
    const [payload, signature] = token.split('.') as [string, string];
    const original = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp: number;
    };
    for (const changed of [
      { ...original, uid: 'someone_else' },
      { ...original, scope: 'email' },
      { ...original, exp: original.exp + 10 * 365 * 86400 },
    ]) {
      const forged = `${b64(JSON.stringify(changed))}.${signature}`;
      expect(errorOf(() => verifyUnsubscribeToken(KEY, clock, forged)).message).toBe(
        'token: has an invalid signature',
      );
    }
  });

  it('rejects a tampered signature: a flipped bit, a non-canonical spelling, zeros', () => {
    const clock = new FixedClock(NOW);
    const token = signUnsubscribeToken(KEY, clock, subject);
    const [payload, signature] = token.split('.') as [string, string];
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] = bytes[0]! ^ 1;
    const flipped = `${payload}.${bytes.toString('base64url')}`;
    expect(errorOf(() => verifyUnsubscribeToken(KEY, clock, flipped)).code).toBe(
      'VALIDATION_ERROR',
    );
    // The last base64url character has 2 unused bits: another spelling of the same MAC bytes.
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
    const respelled = `${payload}.${signature.slice(0, -1)}${sibling}`;
    expect(Buffer.from(respelled.split('.')[1]!, 'base64url')).toEqual(
      Buffer.from(signature, 'base64url'),
    );
    expect(errorOf(() => verifyUnsubscribeToken(KEY, clock, respelled)).code).toBe(
      'VALIDATION_ERROR',
    );
    const zeros = `${payload}.${Buffer.alloc(32).toString('base64url')}`;
    expect(errorOf(() => verifyUnsubscribeToken(KEY, clock, zeros)).message).toBe(
      'token: has an invalid signature',
    );
  });

  it('rejects malformed strings as VALIDATION_ERROR naming the token', () => {
    const clock = new FixedClock(NOW);
    const token = signUnsubscribeToken(KEY, clock, subject);
    const cases: unknown[] = [
      undefined,
      '',
      ['a', 'b'],
      42,
      'no-dot-at-all',
      `${token}.extra`,
      token.slice(0, -1),
      `${token}A`,
      `${token.split('.')[0]}.${'+'.repeat(43)}`,
      `a.${token.split('.')[1]}`,
      'x'.repeat(600),
      token.replace('.', '..'),
    ];
    for (const bad of cases) {
      const e = errorOf(() => verifyUnsubscribeToken(KEY, clock, bad));
      expect(e.code).toBe('VALIDATION_ERROR');
      expect(e.message).toMatch(/^token: /);
    }
  });

  it('a correctly signed payload that is not a valid v1 token is still refused', () => {
    const clock = new FixedClock(NOW);
    const exp = Date.parse(NOW) / 1000 + 3600;
    const payloads = [
      'not json',
      JSON.stringify({ uid: 'u1', scope: 'everything', exp, v: 1 }),
      JSON.stringify({ uid: 'u1', scope: 'email', exp, v: 2 }),
      JSON.stringify({ uid: 'u1', scope: 'email', exp: String(exp), v: 1 }),
      JSON.stringify({ uid: 'a/b', scope: 'email', exp, v: 1 }),
      JSON.stringify({ uid: 'u1', scope: 'email', exp, v: 1, admin: true }),
    ];
    for (const text of payloads) {
      const payload = b64(text);
      const e = errorOf(() =>
        verifyUnsubscribeToken(KEY, clock, `${payload}.${sig(KEY, payload)}`),
      );
      expect(e.message).toBe('token: is malformed');
    }
    // The same construction with a valid payload passes, so the cases above fail for their payload.
    const good = b64(JSON.stringify({ uid: 'u1', scope: 'email', exp, v: 1 }));
    expect(verifyUnsubscribeToken(KEY, clock, `${good}.${sig(KEY, good)}`)).toEqual({
      uid: 'u1',
      scope: 'email',
    });
  });

  it('refuses to sign an unknown scope or a malformed uid', () => {
    const clock = new FixedClock(NOW);
    const scopeError = errorOf(() =>
      signUnsubscribeToken(KEY, clock, { uid: 'u1', scope: 'push' as UnsubscribeScope }),
    );
    expect(scopeError.code).toBe('VALIDATION_ERROR');
    expect(scopeError.message).toMatch(/^scope: /);
    expect(
      errorOf(() => signUnsubscribeToken(KEY, clock, { uid: '', scope: 'email' })).message,
    ).toMatch(/^uid: /);
    expect(
      errorOf(() => signUnsubscribeToken(KEY, clock, { uid: 'a/b', scope: 'email' })).message,
    ).toMatch(/^uid: /);
    expect(() => signUnsubscribeToken(KEY, clock, subject, 0)).toThrow(/ttlSeconds/);
    expect(() => signUnsubscribeToken('', clock, subject)).toThrow(/signing key/);
  });

  it('maps each scope to boolean preference keys', () => {
    expect(UNSUBSCRIBE_SCOPES.email.keys).toEqual(['emailNotifications']);
    expect(Object.keys(UNSUBSCRIBE_SCOPES).sort()).toEqual([
      'dailySummary',
      'email',
      'taskAssignment',
      'taskDueDate',
      'taskStatusChange',
      'weeklySummary',
    ]);
  });
});

describe('unsubscribeLinks', () => {
  it('builds the URL, the RFC 8058 headers and the settings link from the settings', () => {
    const clock = new FixedClock(NOW);
    const links = unsubscribeLinks(
      { publicBaseUrl: 'https://taskflow.example', unsubscribeSigningKey: KEY },
      clock,
      { uid: 'u1', scope: 'weeklySummary' },
    );
    expect(links.url).toMatch(/^https:\/\/taskflow\.example\/api\/unsubscribe\?token=[\w.-]+$/);
    expect(links.headers).toEqual({
      'List-Unsubscribe': `<${links.url}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(links.preferencesUrl).toBe('https://taskflow.example/settings/notifications');
    const token = new URL(links.url).searchParams.get('token');
    expect(verifyUnsubscribeToken(KEY, clock, token)).toEqual({
      uid: 'u1',
      scope: 'weeklySummary',
    });
  });
});
