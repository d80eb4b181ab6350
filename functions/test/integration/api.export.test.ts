import functionsTest from 'firebase-functions-test';
import request from 'supertest';
import type { Express } from 'express';
import { Timestamp } from 'firebase-admin/firestore';
import { exportUserData } from '../../src';
import { setRuntimeForTesting } from '../../src/composition-root';
import { AppError } from '../../src/core/errors';
import { FixedClock } from '../../src/core/clock';
import { suppressionKey } from '../../src/domain/notifications/suppression-keys';
import { deleteUserData } from '../../src/domain/users/account.service';
import type { UserExport } from '../../src/domain/users/export.schema';
import { EXPORT_PAGE_SIZE } from '../../src/domain/users/export-plan';
import { collectUserExport, writeUserExport } from '../../src/domain/users/export.service';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, revokeTokens, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { countReads } from '../support/firestore-reads';
import { recordingLogger, testRuntime } from '../support/runtime';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const db = fs.db;
const NOW = '2026-11-23T10:00:00.000Z';
const clock = new FixedClock(NOW);
const runtime = testRuntime(db, { clock });
let alice: TestUser;
let bob: TestUser;
let admin: TestUser;
let app: Express;

const at = (iso: string) => Timestamp.fromDate(new Date(iso));
const T = at('2026-11-20T08:30:00.000Z');

beforeAll(async () => {
  [alice, bob, admin] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
  app = createApp(runtime, operations);
  setRuntimeForTesting(runtime);
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

const tokenOf = (tag: string) => `fcm-${tag}-${'k'.repeat(140)}SECRET${tag.slice(0, 3)}`;

/** Everything a user can have stored, ids tagged with `tag`. */
async function seedPersonal(user: TestUser, tag: string, options: { deliveries?: boolean } = {}) {
  const batch = db.batch();
  const userRef = db.doc(`users/${user.uid}`);
  batch.set(userRef, {
    name: `Name of ${tag}`,
    email: user.email,
    photoUrl: null,
    timezone: 'Europe/Berlin',
    locale: 'de',
    notificationPreferences: { dailySummary: false },
    unsubscribes: { daily: { at: T, source: 'one-click' } },
    createdAt: T,
    updatedAt: T,
  });
  batch.set(userRef.collection('devices').doc(`d-${tag}`), {
    token: tokenOf(tag),
    platform: 'ios',
    lastSeenAt: T,
    createdAt: T,
  });
  for (let i = 0; i < 3; i++) {
    batch.set(userRef.collection('notifications').doc(`n-${tag}-${i}`), {
      type: 'task_assigned',
      title: `Inbox ${tag} ${i}`,
      body: `body ${tag}`,
      taskId: null,
      projectId: null,
      read: false,
      groupKey: null,
      createdAt: T,
      readAt: null,
    });
  }
  for (let i = 0; i < 2; i++) {
    batch.set(db.doc(`activity/act-${tag}-${i}`), {
      userId: user.uid,
      eventType: 'task_completed',
      eventData: { taskId: `t-${tag}`, duration: 30 },
      timestamp: T,
      expireAt: at('2027-12-28T00:00:00Z'),
    });
  }
  batch.set(db.doc(`userStats/${user.uid}`), { updatedAt: T, timezone: 'Europe/Berlin' });
  batch.set(db.doc(`userStats/${user.uid}/days/2026-11-20`), { tasksCompleted: 2, minutes: 45 });
  batch.set(db.doc(`userStats/${user.uid}/days/2026-11-21`), { tasksCompleted: 1, minutes: 10 });
  if (options.deliveries !== false) {
    batch.set(db.doc(`deliveries/del-${tag}`), {
      channel: 'email',
      recipientId: user.uid,
      category: 'daily_summary',
      status: 'sent',
      content: { title: `Digest ${tag}`, body: '', email: user.email },
      createdAt: T,
    });
  }
  batch.set(db.doc(`emailSuppressions/${suppressionKey(user.email)}`), {
    email: user.email.toLowerCase(),
    reason: 'bounced',
    createdAt: T,
  });
  await batch.commit();
}

/** W and P shared by alice (owner) and bob; W2/P2 are bob's alone; tasks between them. */
async function seedShared() {
  const batch = db.batch();
  batch.set(db.doc('workspaces/W'), {
    name: 'Shared',
    description: 'both of us',
    ownerId: alice.uid,
    members: [alice.uid, bob.uid],
    roles: { [alice.uid]: 'owner', [bob.uid]: 'member' },
    createdAt: T,
    updatedAt: T,
  });
  batch.set(db.doc('workspaces/W2'), {
    name: 'Bob only',
    description: '',
    ownerId: bob.uid,
    members: [bob.uid],
    roles: { [bob.uid]: 'owner' },
    createdAt: T,
    updatedAt: T,
  });
  batch.set(db.doc('projects/P'), {
    name: 'Shared project',
    description: '',
    workspaceId: 'W',
    ownerId: bob.uid,
    members: [alice.uid, bob.uid],
    createdAt: T,
    updatedAt: T,
  });
  batch.set(db.doc('projects/P2'), {
    name: 'Bob project',
    description: '',
    workspaceId: 'W2',
    ownerId: bob.uid,
    members: [bob.uid],
    createdAt: T,
    updatedAt: T,
  });
  const task = (createdBy: TestUser, assignee: TestUser | null, deleted = false) => ({
    title: 'x',
    description: '',
    projectId: 'P',
    workspaceId: 'W',
    assigneeId: assignee?.uid ?? null,
    createdBy: createdBy.uid,
    updatedBy: createdBy.uid,
    status: 'todo',
    priority: 'medium',
    dueDate: at('2026-12-01T00:00:00Z'),
    completedAt: null,
    recurrence: null,
    deletedAt: deleted ? T : null,
    createdAt: T,
    updatedAt: T,
  });
  batch.set(db.doc('tasks/ta'), task(alice, alice));
  batch.set(db.doc('tasks/tb'), task(alice, bob));
  batch.set(db.doc('tasks/tc'), task(bob, alice));
  batch.set(db.doc('tasks/td'), task(bob, bob));
  batch.set(db.doc('tasks/te'), task(alice, null, true));
  await batch.commit();
}

function exportOf(user: TestUser | null, target: string) {
  const req = request(app).get(`/api/users/${target}/export`);
  return user === null ? req : req.set('Authorization', user.bearer);
}

const ids = (docs: { id: string }[]) => docs.map((d) => d.id);

describe('GET /api/users/:userId/export', () => {
  it('contains every document the user owns, as stored, timestamps as ISO strings', async () => {
    await Promise.all([seedPersonal(alice, 'alice'), seedPersonal(bob, 'bob'), seedShared()]);
    const res = await exportOf(alice, alice.uid).expect(200);
    const body = res.body as UserExport;

    expect(body).toMatchObject({
      format: 'taskflow.user-export/1',
      userId: alice.uid,
      generatedAt: NOW,
      profile: {
        name: 'Name of alice',
        email: alice.email,
        timezone: 'Europe/Berlin',
        unsubscribes: { daily: { at: '2026-11-20T08:30:00.000Z', source: 'one-click' } },
        createdAt: '2026-11-20T08:30:00.000Z',
      },
      preferences: { dailySummary: false, weeklySummary: true },
      statistics: { updatedAt: '2026-11-20T08:30:00.000Z', timezone: 'Europe/Berlin' },
    });
    expect(body.devices).toHaveLength(1);
    expect(body.devices[0]).toEqual({
      id: 'd-alice',
      data: {
        platform: 'ios',
        lastSeenAt: '2026-11-20T08:30:00.000Z',
        createdAt: '2026-11-20T08:30:00.000Z',
        tokenLast6: tokenOf('alice').slice(-6),
      },
    });
    expect(ids(body.notifications)).toEqual(['n-alice-0', 'n-alice-1', 'n-alice-2']);
    expect(body.notifications[0]?.data).toMatchObject({
      title: 'Inbox alice 0',
      createdAt: '2026-11-20T08:30:00.000Z',
      readAt: null,
    });
    expect(ids(body.activity)).toEqual(['act-alice-0', 'act-alice-1']);
    expect(body.activity[0]?.data).toEqual({
      userId: alice.uid,
      eventType: 'task_completed',
      eventData: { taskId: 't-alice', duration: 30 },
      timestamp: '2026-11-20T08:30:00.000Z',
      expireAt: '2027-12-28T00:00:00.000Z',
    });
    expect(ids(body.statisticsDays)).toEqual(['2026-11-20', '2026-11-21']);
    expect(body.statisticsDays[0]?.data).toEqual({ tasksCompleted: 2, minutes: 45 });
    // Created first (by id), then assigned-only; ta (both) once.
    expect(body.tasks.map((t) => [t.id, t.relation])).toEqual([
      ['ta', ['creator', 'assignee']],
      ['tb', ['creator']],
      ['te', ['creator']],
      ['tc', ['assignee']],
    ]);
    expect(body.tasks[2]?.data).toMatchObject({ deletedAt: '2026-11-20T08:30:00.000Z' });
    expect(body.workspaces).toEqual([
      {
        id: 'W',
        name: 'Shared',
        description: 'both of us',
        role: 'owner',
        createdAt: '2026-11-20T08:30:00.000Z',
      },
    ]);
    expect(body.projects).toEqual([
      {
        id: 'P',
        name: 'Shared project',
        description: '',
        workspaceId: 'W',
        owner: false,
        createdAt: '2026-11-20T08:30:00.000Z',
      },
    ]);
    expect(ids(body.deliveries)).toEqual(['del-alice']);
    expect(body.emailSuppression).toEqual({
      id: suppressionKey(alice.email),
      data: {
        email: alice.email.toLowerCase(),
        reason: 'bounced',
        createdAt: '2026-11-20T08:30:00.000Z',
      },
    });
    expect(body.counts).toEqual({
      devices: 1,
      notifications: 3,
      activity: 2,
      statisticsDays: 2,
      tasks: 4,
      workspaces: 1,
      projects: 1,
      deliveries: 1,
    });
  });

  it('after leaving a project, keeps only the authorship of the tasks created there, not their content', async () => {
    await seedShared();
    // alice leaves P: her tasks there stay the project's (bob may have rewritten them since).
    await db.doc('projects/P').update({ members: [bob.uid] });
    await db
      .doc('tasks/ta')
      .update({ assigneeId: null, title: 'Rewritten by bob', description: 'secret plan' });
    const res = await exportOf(alice, alice.uid);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as UserExport;
    const ta = body.tasks.find((t) => t.id === 'ta');
    expect(ta).toEqual({
      id: 'ta',
      relation: ['creator'],
      scope: 'authorship',
      data: { projectId: 'P', createdBy: alice.uid, createdAt: '2026-11-20T08:30:00.000Z' },
    });
    expect(res.text).not.toContain('secret plan');
    expect(res.text).not.toContain('Rewritten by bob');
    // Still assigned to her elsewhere: what she may see, she gets in full.
    expect(body.tasks.find((t) => t.id === 'tc')?.scope).toBe('full');
  });

  it("holds nothing of another user: no profile, inbox, device, activity or member list of bob's", async () => {
    await Promise.all([seedPersonal(alice, 'alice'), seedPersonal(bob, 'bob'), seedShared()]);
    const res = await exportOf(alice, alice.uid).expect(200);
    const text = res.text;
    for (const secret of [
      bob.email,
      bob.email.toLowerCase(),
      'Name of bob',
      tokenOf('bob').slice(-6),
      'n-bob-',
      'Inbox bob',
      'act-bob-',
      't-bob',
      'del-bob',
      'Digest bob',
      suppressionKey(bob.email),
      'Bob only',
      'Bob project',
      '"td"',
    ]) {
      expect(text).not.toContain(secret);
    }
    // Not even the user's own push token: only its last 6 characters.
    expect(text).not.toContain(tokenOf('alice'));
    // Bob's uid appears only inside the shared tasks' own fields (they are the tasks).
    const body = res.body as UserExport;
    const withoutTasks = JSON.stringify({ ...body, tasks: [] });
    expect(withoutTasks).not.toContain(bob.uid);
    expect(JSON.stringify(body.workspaces)).not.toContain('members');
  });

  it('streams a valid JSON attachment in pieces: 2,000 inbox items, pages of 500', async () => {
    const inbox = db.collection(`users/${alice.uid}/notifications`);
    for (let b = 0; b < 4; b++) {
      const batch = db.batch();
      for (let i = 0; i < 500; i++) {
        const n = b * 500 + i;
        batch.set(inbox.doc(`n-${String(n).padStart(4, '0')}`), {
          type: 'task_due_soon',
          title: `Due soon ${n} "quoted" \\ ünïcödé`,
          body: 'line\nbreak',
          read: n % 2 === 0,
          createdAt: Timestamp.fromMillis(Date.parse(NOW) - n * 1000),
        });
      }
      await batch.commit();
    }
    const reads = countReads(db);
    let pieces = 0;
    const res = await exportOf(alice, alice.uid)
      .buffer(true)
      .parse((stream, done) => {
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          pieces++;
          text += chunk;
        });
        stream.on('end', () => {
          done(null, text);
        });
      })
      .expect(200);
    reads.restore();

    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="taskflow-export-${alice.uid}.json"`,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    const body = JSON.parse(res.body as string) as UserExport;
    expect(body.notifications).toHaveLength(2000);
    expect(new Set(ids(body.notifications)).size).toBe(2000);
    expect(body.notifications[1999]?.data.title).toBe('Due soon 1999 "quoted" \\ ünïcödé');
    expect(body.counts.notifications).toBe(2000);
    expect(pieces).toBeGreaterThan(1);
    // Paged reads: 4 full pages and one empty one, never more than a page per query.
    expect(reads.log.maxDocumentsPerQuery).toBe(EXPORT_PAGE_SIZE);
    expect(reads.log.documents.notifications).toBe(2000);
  });

  it('writes page by page: memory per step is one page, whatever the total', async () => {
    const inbox = db.collection(`users/${alice.uid}/notifications`);
    const batch = db.batch();
    for (let i = 0; i < 250; i++) {
      batch.set(inbox.doc(`n-${String(i).padStart(3, '0')}`), { title: 'x'.repeat(100) });
    }
    await batch.commit();
    const chunks: string[] = [];
    const counts = await writeUserExport(
      db,
      clock,
      alice.uid,
      (chunk) => {
        chunks.push(chunk);
        return Promise.resolve();
      },
      { pageSize: 100 },
    );
    expect(counts.notifications).toBe(250);
    const largest = Math.max(...chunks.map((c) => c.length));
    // One page of 100 items of ~150 bytes, not the 250 items.
    expect(largest).toBeLessThan(100 * 200);
    expect(largest).toBeGreaterThan(100 * 100);
    expect(JSON.parse(chunks.join(''))).toEqual(await collectUserExport(db, clock, alice.uid));
  });

  it('lets an admin export another user; refuses other users, anonymous and revoked tokens', async () => {
    await seedPersonal(alice, 'alice');
    const byAdmin = await exportOf(admin, alice.uid).expect(200);
    expect(byAdmin.body.profile.name).toBe('Name of alice');

    const denied = await exportOf(bob, alice.uid).expect(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    // The error is a plain JSON answer, not an attachment.
    expect(denied.headers['content-disposition']).toBeUndefined();
    await exportOf(null, alice.uid).expect(401);

    const revokedAdmin = await createTestUser({ admin: true });
    await revokeTokens(revokedAdmin.uid);
    const revoked = await exportOf(revokedAdmin, alice.uid).expect(401);
    expect(revoked.body.code).toBe('TOKEN_REVOKED');
    // The export re-checks revocation for the user's own token too.
    const revokedSelf = await createTestUser();
    await revokeTokens(revokedSelf.uid);
    expect((await exportOf(revokedSelf, revokedSelf.uid).expect(401)).body.code).toBe(
      'TOKEN_REVOKED',
    );
  });

  it('answers an empty export for a user with no data', async () => {
    const res = await exportOf(bob, bob.uid).expect(200);
    expect(res.body).toMatchObject({
      profile: null,
      statistics: null,
      devices: [],
      notifications: [],
      tasks: [],
      emailSuppression: null,
      counts: { devices: 0, notifications: 0, tasks: 0 },
    });
  });
});

describe('account deletion', () => {
  it('leaves nothing personal to export: only the shared tasks the user created remain', async () => {
    await Promise.all([
      seedPersonal(alice, 'alice', { deliveries: false }),
      seedPersonal(bob, 'bob'),
      seedShared(),
    ]);
    const before = await collectUserExport(db, clock, alice.uid);
    expect(before.counts).toMatchObject({ devices: 1, notifications: 3, activity: 2, tasks: 4 });

    await deleteUserData(db, clock, recordingLogger(), alice.uid);
    const after = await collectUserExport(db, clock, alice.uid);
    expect(after).toMatchObject({
      profile: null,
      statistics: null,
      devices: [],
      notifications: [],
      activity: [],
      statisticsDays: [],
      workspaces: [],
      projects: [],
      deliveries: [],
      // The address is known only from the profile, so its suppression entry (kept on purpose:
      // never mail a bounced address again) is no longer linked to the uid.
      emailSuppression: null,
    });
    // Shared project documents are kept (deleteUserData detaches, never deletes them): the tasks
    // alice created still name her as createdBy; none is assigned to her any more.
    expect(after.tasks.map((t) => [t.id, t.relation])).toEqual([
      ['ta', ['creator']],
      ['tb', ['creator']],
      ['te', ['creator']],
    ]);
    // Bob's data is untouched.
    expect((await collectUserExport(db, clock, bob.uid)).counts).toMatchObject({
      devices: 1,
      notifications: 3,
      activity: 2,
      deliveries: 1,
    });
  });
});

describe('exportUserData callable', () => {
  /** A callable request with the ID token in the header, as the Functions SDK passes it. */
  const as = (user: TestUser, data: unknown, claims: Record<string, unknown> = {}) =>
    ({
      data,
      auth: { uid: user.uid, token: { uid: user.uid, email: user.email, ...claims } },
      rawRequest: {
        header: (name: string) => (name === 'authorization' ? user.bearer : undefined),
      },
    }) as never;

  it('returns what the REST route streams; userId defaults to the caller', async () => {
    await Promise.all([seedPersonal(alice, 'alice'), seedShared()]);
    const viaCallable = await fft.wrap(exportUserData)(as(alice, {}));
    const viaRest = await exportOf(alice, alice.uid).expect(200);
    expect(viaCallable).toEqual(viaRest.body);
  });

  it('refuses another user (permission-denied) and lets an admin through', async () => {
    await seedPersonal(alice, 'alice');
    await expect(fft.wrap(exportUserData)(as(bob, { userId: alice.uid }))).rejects.toMatchObject({
      code: 'permission-denied',
    });
    await expect(
      fft.wrap(exportUserData)(as(admin, { userId: alice.uid }, { admin: true })),
    ).resolves.toMatchObject({ userId: alice.uid, counts: { notifications: 3 } });
  });

  it('sends an export over 5 MB to the REST route (failed-precondition), which streams it', async () => {
    const inbox = db.collection(`users/${alice.uid}/notifications`);
    const body = 'y'.repeat(4500);
    for (let b = 0; b < 3; b++) {
      const batch = db.batch();
      for (let i = 0; i < 450; i++) batch.set(inbox.doc(`big-${b}-${i}`), { body });
      await batch.commit();
    }
    await expect(fft.wrap(exportUserData)(as(alice, {}))).rejects.toMatchObject({
      code: 'failed-precondition',
      details: {
        code: 'FAILED_PRECONDITION',
        details: { maxBytes: 5 * 1024 * 1024, restPath: `/api/users/${alice.uid}/export` },
      },
    });
    const res = await exportOf(alice, alice.uid).expect(200);
    expect(res.body.counts.notifications).toBe(1350);
    expect(res.text.length).toBeGreaterThan(5 * 1024 * 1024);
  });

  it('gives up as soon as the cap is passed (collectUserExport)', async () => {
    await seedPersonal(alice, 'alice');
    await expect(collectUserExport(db, clock, alice.uid, { maxBytes: 500 })).rejects.toThrow(
      AppError,
    );
  });
});
