import request from 'supertest';
import type { Express } from 'express';
import { Timestamp } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import {
  applyUnsubscribe,
  signUnsubscribeToken,
  unsubscribeLinks,
  type UnsubscribeScope,
} from '../../src/domain/notifications/unsubscribe.service';
import { DEFAULT_PREFERENCES } from '../../src/domain/users/preferences.schema';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestFirestore } from '../support/firestore';
import { TEST_CONFIG, testRuntime } from '../support/runtime';

const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
const KEY = TEST_CONFIG.notifications.unsubscribeSigningKey;
const UID = 'unsub-user-1';
let app: Express;

beforeAll(() => {
  app = createApp(testRuntime(fs.db, { clock }), operations);
});
beforeEach(async () => {
  clock.set('2026-11-23T10:00:00Z');
  // A profile with preferences as the sign-up trigger writes them, plus one non-default.
  await fs.db
    .collection('users')
    .doc(UID)
    .set({
      name: 'Ada',
      email: 'ada@example.test',
      notificationPreferences: { ...DEFAULT_PREFERENCES, digestHour: 7 },
      createdAt: Timestamp.fromDate(new Date('2026-01-01T00:00:00Z')),
      updatedAt: Timestamp.fromDate(new Date('2026-01-01T00:00:00Z')),
    });
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const userDoc = async () => (await fs.db.collection('users').doc(UID).get()).data()!;
const tokenFor = (scope: UnsubscribeScope, uid = UID) =>
  signUnsubscribeToken(KEY, clock, { uid, scope });

/** The path and query of the link the mailer puts into an email (the app answers at /api too). */
function linkPath(scope: UnsubscribeScope): string {
  const { url } = unsubscribeLinks(TEST_CONFIG.notifications, clock, { uid: UID, scope });
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/** What a mailbox provider sends for the one-click button (RFC 8058 §3.1). */
const oneClick = (path: string) =>
  request(app).post(path).type('form').send('List-Unsubscribe=One-Click');

describe('GET /api/unsubscribe (what link scanners fetch)', () => {
  it('shows a confirmation page with one button that POSTs the same token, and changes nothing', async () => {
    const before = await userDoc();
    const res = await request(app).get(linkPath('dailySummary'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('Unsubscribe from the daily summary email?');
    const forms = res.text.match(/<form [^>]*>/g) ?? [];
    expect(forms).toHaveLength(1);
    const token = tokenFor('dailySummary');
    expect(forms[0]).toBe(`<form method="post" action="?token=${token}">`);
    expect(res.text).toContain('href="https://app.taskflow.test/settings/notifications"');
    expect(await userDoc()).toEqual(before);
  });

  it('works the same at the function URL root (no /api prefix)', async () => {
    const res = await request(app).get(`/unsubscribe?token=${tokenFor('email')}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Unsubscribe from all TaskFlow notification emails?');
  });

  it("the page works under helmet's CSP: no script, a same-origin form, inline style allowed", async () => {
    const res = await request(app).get(linkPath('email'));
    const csp = res.headers['content-security-policy'] as string;
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('form-action')).toEqual(["'self'"]);
    expect(directives.get('script-src-attr')).toEqual(["'none'"]);
    expect(directives.get('style-src')).toContain("'unsafe-inline'");
    expect(res.text).not.toMatch(/<script/i);
    expect(res.text).not.toMatch(/\son[a-z]+=/i);
    // A relative action is resolved against the page's own URL: same origin by construction.
    const action = /<form [^>]*action="([^"]*)"/.exec(res.text)![1]!;
    expect(action.startsWith('?')).toBe(true);
    const pageUrl = `https://app.taskflow.test${linkPath('email')}`;
    expect(new URL(action.replace(/&amp;/g, '&'), pageUrl).origin).toBe(
      'https://app.taskflow.test',
    );
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });
});

describe('POST /api/unsubscribe (one-click and the page button)', () => {
  it('one-click turns off exactly the scope’s preference and keeps the others', async () => {
    const res = await oneClick(linkPath('weeklySummary'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('You are unsubscribed');
    expect(res.text).toContain('the weekly summary email');
    const doc = await userDoc();
    expect(doc.notificationPreferences).toEqual({
      ...DEFAULT_PREFERENCES,
      digestHour: 7,
      weeklySummary: false,
    });
    expect(doc.unsubscribes).toEqual({
      weeklySummary: { at: Timestamp.fromDate(clock.now()), source: 'one-click' },
    });
    expect(doc.updatedAt).toEqual(Timestamp.fromDate(clock.now()));
    expect(doc.name).toBe('Ada');
  });

  it('scope email turns off all notification email only', async () => {
    await oneClick(linkPath('email')).expect(200);
    expect((await userDoc()).notificationPreferences).toEqual({
      ...DEFAULT_PREFERENCES,
      digestHour: 7,
      emailNotifications: false,
    });
  });

  it('the page button (urlencoded form) is recorded as source "link"', async () => {
    await request(app)
      .post(linkPath('taskAssignment'))
      .type('form')
      .send({ via: 'page' })
      .expect(200);
    const doc = await userDoc();
    expect(doc.notificationPreferences.taskAssignment).toBe(false);
    expect(doc.unsubscribes.taskAssignment.source).toBe('link');
  });

  it('accepts the multipart body of RFC 8058’s example and a POST without a body', async () => {
    await request(app)
      .post(linkPath('taskDueDate'))
      .field('List-Unsubscribe', 'One-Click')
      .expect(200);
    expect((await userDoc()).notificationPreferences.taskDueDate).toBe(false);
    await request(app).post(linkPath('taskStatusChange')).expect(200);
    expect((await userDoc()).notificationPreferences.taskStatusChange).toBe(false);
  });

  it('is idempotent: a repeated POST changes nothing and answers the same page', async () => {
    const first = await oneClick(linkPath('dailySummary'));
    const after = await userDoc();
    clock.advance(60_000);
    const second = await oneClick(linkPath('dailySummary'));
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(await userDoc()).toEqual(after);
  });

  it('after the user turned it back on, the link turns it off again', async () => {
    await oneClick(linkPath('dailySummary')).expect(200);
    await fs.db
      .collection('users')
      .doc(UID)
      .update({ 'notificationPreferences.dailySummary': true });
    clock.advance(60_000);
    await oneClick(linkPath('dailySummary')).expect(200);
    const doc = await userDoc();
    expect(doc.notificationPreferences.dailySummary).toBe(false);
    expect(doc.unsubscribes.dailySummary.at).toEqual(Timestamp.fromDate(clock.now()));
  });

  it('an account that no longer exists gets the same page and no document is created', async () => {
    const path = `/api/unsubscribe?token=${tokenFor('email', 'deleted-user')}`;
    const res = await oneClick(path);
    expect(res.status).toBe(200);
    const existing = await oneClick(linkPath('email'));
    expect(res.text).toBe(existing.text);
    expect((await fs.db.collection('users').doc('deleted-user').get()).exists).toBe(false);
  });
});

describe('invalid and expired links', () => {
  async function expectRejected(req: request.Test, heading: RegExp): Promise<void> {
    const before = await userDoc();
    const res = await req;
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(heading);
    expect(res.text).not.toMatch(/<form/);
    expect(await userDoc()).toEqual(before);
  }

  it('an expired link answers a 400 page saying so, on GET and POST, and changes nothing', async () => {
    const path = linkPath('email');
    clock.advance(61 * 86_400_000);
    await expectRejected(request(app).get(path), /This unsubscribe link has expired/);
    await expectRejected(oneClick(path), /This unsubscribe link has expired/);
  });

  it('a tampered, foreign or missing token answers a 400 page, never JSON or 500', async () => {
    const token = tokenFor('email');
    const foreign = signUnsubscribeToken('some-other-key-0123456789', clock, {
      uid: UID,
      scope: 'email',
    });
    const paths = [
      `/api/unsubscribe?token=${token.slice(0, -2)}xx`,
      `/api/unsubscribe?token=${foreign}`,
      '/api/unsubscribe',
      '/api/unsubscribe?token=',
      `/api/unsubscribe?token=${token}&token=${token}`,
      '/api/unsubscribe?token=%3Cscript%3E',
    ];
    for (const path of paths) {
      await expectRejected(request(app).get(path), /This unsubscribe link is not valid/);
      await expectRejected(oneClick(path), /This unsubscribe link is not valid/);
    }
  });

  it('a form body over the small limit is refused', async () => {
    const res = await request(app)
      .post(linkPath('email'))
      .type('form')
      .send(`List-Unsubscribe=One-Click&pad=${'x'.repeat(4096)}`);
    expect(res.status).toBe(413);
    expect((await userDoc()).notificationPreferences.emailNotifications).toBe(true);
  });
});

describe('applyUnsubscribe', () => {
  it('reports what it changed; a second call changes nothing', async () => {
    const subject = { uid: UID, scope: 'taskStatusChange' as const };
    expect(await applyUnsubscribe(fs.db, clock, subject, 'link')).toEqual({
      found: true,
      changed: ['taskStatusChange'],
    });
    expect(await applyUnsubscribe(fs.db, clock, subject, 'link')).toEqual({
      found: true,
      changed: [],
    });
    expect(
      await applyUnsubscribe(fs.db, clock, { uid: 'nobody', scope: 'email' }, 'webhook'),
    ).toEqual({ found: false, changed: [] });
  });

  it('a user who never saved preferences gets the scope turned off over the defaults', async () => {
    await fs.db.collection('users').doc('bare').set({ name: 'Bare' });
    await applyUnsubscribe(fs.db, clock, { uid: 'bare', scope: 'dailySummary' }, 'one-click');
    const doc = (await fs.db.collection('users').doc('bare').get()).data()!;
    expect(doc.notificationPreferences).toEqual({ dailySummary: false });
    expect(doc.name).toBe('Bare');
  });
});
