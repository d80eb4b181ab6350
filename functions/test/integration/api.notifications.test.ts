import request from 'supertest';
import type { Express } from 'express';
import { Timestamp } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import type { NewInboxItem } from '../../src/domain/notifications/inbox.schema';
import {
  addInboxItem,
  markAllNotificationsRead,
} from '../../src/domain/notifications/inbox.service';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
let a: TestUser;
let b: TestUser;
let app: Express;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestUser(), createTestUser()]);
  app = createApp(testRuntime(fs.db, { clock }), operations);
});
beforeEach(() => {
  clock.set('2026-11-23T10:00:00Z');
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

const inbox = (user: TestUser) => fs.db.collection(`users/${user.uid}/notifications`);

function item(n: number): NewInboxItem {
  return {
    type: 'task_assigned',
    title: `Task ${n}`,
    body: `You were assigned task ${n}`,
    taskId: `task-${n}`,
    projectId: 'project-1',
    groupKey: `task_assigned:task-${n}`,
  };
}

/** `count` items through the domain function, one second apart, ids `n-00`, `n-01`, … */
async function seed(user: TestUser, count: number, prefix = 'n'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    clock.advance(1000);
    const id = `${prefix}-${String(i).padStart(2, '0')}`;
    await addInboxItem(fs.db, clock, user.uid, item(i), id);
    ids.push(id);
  }
  return ids;
}

/** Many unread items in one batched write (addInboxItem is one round trip each). */
async function seedBulk(user: TestUser, count: number, prefix = 'bulk'): Promise<string[]> {
  const batch = fs.db.batch();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${String(i).padStart(4, '0')}`;
    ids.push(id);
    batch.set(inbox(user).doc(id), {
      ...item(i),
      read: false,
      createdAt: Timestamp.fromMillis(Date.parse('2026-11-01T00:00:00Z') + i * 1000),
      readAt: null,
    });
  }
  await batch.commit();
  return ids;
}

function list(user: TestUser, query: Record<string, string | number | boolean> = {}) {
  return request(app).get('/api/notifications').query(query).set('Authorization', user.bearer);
}

const idsOf = (res: request.Response): string[] =>
  res.body.notifications.map((n: { id: string }) => n.id);

async function unreadLeft(user: TestUser): Promise<number> {
  return (await inbox(user).where('read', '==', false).count().get()).data().count;
}

describe('GET /api/notifications', () => {
  it('lists newest first, each item once across pages, with the counts in body and headers', async () => {
    // Two items per second: equal createdAt, so the document id has to break the tie.
    const original: string[] = [];
    for (let i = 0; i < 23; i++) {
      if (i % 2 === 0) clock.advance(1000);
      const id = `n-${String(i).padStart(2, '0')}`;
      await addInboxItem(fs.db, clock, a.uid, item(i), id);
      original.push(id);
    }
    await inbox(a).doc('n-03').update({ read: true });
    await inbox(a).doc('n-04').update({ read: true });

    const first = await list(a, { limit: 5 }).expect(200);
    expect(first.body).toMatchObject({ totalCount: 23, unreadCount: 21 });
    expect(first.headers['x-total-count']).toBe('23');
    expect(first.headers['x-unread-count']).toBe('21');
    expect(first.body.notifications[0]).toEqual({
      id: 'n-22',
      type: 'task_assigned',
      title: 'Task 22',
      body: 'You were assigned task 22',
      taskId: 'task-22',
      projectId: 'project-1',
      read: false,
      groupKey: 'task_assigned:task-22',
      createdAt: '2026-11-23T10:00:12.000Z',
      readAt: null,
    });

    const seen = idsOf(first);
    let cursor: string | null = first.body.nextCursor;
    let pages = 1;
    // A notification arriving between page loads sorts before the cursor and is not repeated.
    clock.advance(60_000);
    await addInboxItem(fs.db, clock, a.uid, item(99), 'late');
    while (cursor !== null) {
      const res = await list(a, { limit: 5, cursor }).expect(200);
      expect(res.headers['x-total-count']).toBe('24');
      expect(res.headers['x-unread-count']).toBe('22');
      seen.push(...idsOf(res));
      cursor = res.body.nextCursor;
      pages++;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual([...original].reverse());

    // Default page size 20; another user's inbox is empty.
    const page = await list(a).expect(200);
    expect(idsOf(page)).toHaveLength(20);
    expect(idsOf(page)[0]).toBe('late');
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const other = await list(b).expect(200);
    expect(other.body).toEqual({
      notifications: [],
      nextCursor: null,
      totalCount: 0,
      unreadCount: 0,
    });
    expect(other.headers['x-total-count']).toBe('0');
  });

  it('unread_only lists the unread tab, newest first and paged', async () => {
    const ids = await seed(a, 7);
    for (const id of [ids[1]!, ids[4]!, ids[6]!]) await inbox(a).doc(id).update({ read: true });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await list(a, { unread_only: 'true', limit: 2, ...(cursor ? { cursor } : {}) })
        .expect(200)
        .expect('X-Total-Count', '7')
        .expect('X-Unread-Count', '4');
      expect(res.body.notifications.every((n: { read: boolean }) => !n.read)).toBe(true);
      seen.push(...idsOf(res));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual([ids[5], ids[3], ids[2], ids[0]]);
    expect(idsOf(await list(a, { unread_only: 'false' }).expect(200))).toEqual([...ids].reverse());
  });

  it('rejects bad paging parameters, naming them', async () => {
    const cases: [Record<string, string | number>, string][] = [
      [{ limit: 0 }, 'limit'],
      [{ limit: 101 }, 'limit'],
      [{ limit: 'many' }, 'limit'],
      [{ cursor: 'garbage' }, 'cursor'],
      [{ cursor: Buffer.from('{"v":[1],"id":"x"}').toString('base64url') }, 'cursor'],
      [{ unread_only: 'yes' }, 'unread_only'],
      [{ userId: b.uid }, 'userId'],
    ];
    for (const [query, field] of cases) {
      const res = await list(a, query).expect(400);
      expect(res.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
    }
  });

  it('answers 401 to every inbox route without a token', async () => {
    for (const [method, path] of [
      ['get', '/api/notifications'],
      ['get', '/api/notifications/unread/count'],
      ['get', '/api/notifications/n-00'],
      ['put', '/api/notifications/n-00'],
      ['put', '/api/notifications/mark-all-read'],
      ['delete', '/api/notifications/n-00'],
      ['delete', '/api/notifications'],
    ] as const) {
      const client = request(app);
      const res = await client[method](path).send({ read: true, ids: ['n-00'] });
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
  });
});

describe('single notifications', () => {
  it('gets one of your own; 404 for a missing id and for another user’s item', async () => {
    await seed(a, 1);
    const got = await request(app)
      .get('/api/notifications/n-00')
      .set('Authorization', a.bearer)
      .expect(200);
    expect(got.body).toMatchObject({ id: 'n-00', title: 'Task 0', read: false, readAt: null });
    const missing = await request(app)
      .get('/api/notifications/nope')
      .set('Authorization', a.bearer)
      .expect(404);
    expect(missing.body.code).toBe('NOT_FOUND');
    // B's path is B's own inbox: A's item id names nothing there.
    await request(app).get('/api/notifications/n-00').set('Authorization', b.bearer).expect(404);
  });

  it('marks read (readAt now, kept on a repeat) and unread (readAt cleared), idempotently', async () => {
    await seed(a, 1);
    const mark = (user: TestUser, body: object, id = 'n-00') =>
      request(app).put(`/api/notifications/${id}`).set('Authorization', user.bearer).send(body);

    clock.set('2026-11-23T11:00:00Z');
    const read = await mark(a, { read: true }).expect(200);
    expect(read.body).toMatchObject({ read: true, readAt: '2026-11-23T11:00:00.000Z' });
    clock.advance(60_000);
    const again = await mark(a, { read: true }).expect(200);
    expect(again.body).toEqual(read.body);
    const stored = await inbox(a).doc('n-00').get();
    expect(stored.get('readAt').toDate().toISOString()).toBe('2026-11-23T11:00:00.000Z');

    const unread = await mark(a, { read: false }).expect(200);
    expect(unread.body).toMatchObject({ read: false, readAt: null });
    await mark(a, { read: false }).expect(200, unread.body);
    expect((await inbox(a).doc('n-00').get()).get('readAt')).toBeNull();

    // Marked read by the app through the SDK (rules allow `read` only): no readAt until now.
    await inbox(a).doc('n-00').update({ read: true });
    const viaSdk = await request(app)
      .get('/api/notifications/n-00')
      .set('Authorization', a.bearer)
      .expect(200);
    expect(viaSdk.body).toMatchObject({ read: true, readAt: null });
    const stamped = await mark(a, { read: true }).expect(200);
    expect(stamped.body.readAt).toBe('2026-11-23T11:01:00.000Z');

    expect((await mark(a, {}).expect(400)).body.details[0].field).toBe('read');
    expect((await mark(a, { read: 'yes' }).expect(400)).body.details[0].field).toBe('read');
    expect((await mark(a, { read: true, title: 'x' }).expect(400)).body.details[0].field).toBe(
      'title',
    );
    await mark(a, { read: true }, 'nope').expect(404);
    await mark(b, { read: false }).expect(404);
    expect((await inbox(a).doc('n-00').get()).get('read')).toBe(true);
    expect((await inbox(b).doc('n-00').get()).exists).toBe(false);
  });

  it('deletes one, idempotently, and never another user’s', async () => {
    await seed(a, 2);
    const del = (user: TestUser, id: string) =>
      request(app).delete(`/api/notifications/${id}`).set('Authorization', user.bearer);
    await del(b, 'n-00').expect(200, { success: true, deleted: false });
    expect((await inbox(a).doc('n-00').get()).exists).toBe(true);
    await del(a, 'n-00').expect(200, { success: true, deleted: true });
    await del(a, 'n-00').expect(200, { success: true, deleted: false });
    expect((await inbox(a).get()).docs.map((d) => d.id)).toEqual(['n-01']);
  });
});

describe('GET /api/notifications/unread/count and PUT /api/notifications/mark-all-read', () => {
  it('are not captured by /notifications/:notificationId', async () => {
    await seed(a, 3);
    await request(app)
      .get('/api/notifications/unread/count')
      .set('Authorization', a.bearer)
      .expect(200, { unreadCount: 3 });
    // markNotification would answer 400 (no `read`) or 404 (no item "mark-all-read").
    await request(app)
      .put('/api/notifications/mark-all-read')
      .set('Authorization', a.bearer)
      .expect(200, { success: true, updated: 3 });
    await request(app)
      .get('/api/notifications/unread/count')
      .set('Authorization', a.bearer)
      .expect(200, { unreadCount: 0 });
  });

  it('marks every unread item read over several pages, touching nobody else’s inbox', async () => {
    await seedBulk(a, 450);
    await seed(a, 2, 'read');
    for (const id of ['read-00', 'read-01']) await inbox(a).doc(id).update({ read: true });
    await seed(b, 2);
    clock.set('2026-11-24T08:00:00Z');

    const res = await request(app)
      .put('/api/notifications/mark-all-read')
      .set('Authorization', a.bearer)
      .expect(200);
    expect(res.body).toEqual({ success: true, updated: 450 });
    expect(await unreadLeft(a)).toBe(0);
    const stamped = await inbox(a).where('readAt', '==', Timestamp.fromDate(clock.now())).get();
    expect(stamped.size).toBe(450);
    expect(await unreadLeft(b)).toBe(2);
    await list(a, { limit: 1 }).expect('X-Total-Count', '452').expect('X-Unread-Count', '0');

    await request(app)
      .put('/api/notifications/mark-all-read')
      .set('Authorization', a.bearer)
      .expect(200, { success: true, updated: 0 });
  });

  it('takes an injectable page size in the domain function', async () => {
    await seedBulk(a, 10);
    await expect(markAllNotificationsRead(fs.db, clock, a.uid, { pageSize: 3 })).resolves.toBe(10);
    expect(await unreadLeft(a)).toBe(0);
    await expect(markAllNotificationsRead(fs.db, clock, a.uid, { pageSize: 0 })).rejects.toThrow(
      RangeError,
    );
    await expect(markAllNotificationsRead(fs.db, clock, a.uid, { pageSize: 501 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('DELETE /api/notifications (bulk)', () => {
  const bulkDelete = (user: TestUser, body: object) =>
    request(app).delete('/api/notifications').set('Authorization', user.bearer).send(body);

  it('deletes up to 100 at once, counting only the caller’s items that existed', async () => {
    const ids = await seedBulk(a, 120);
    await seed(b, 1, 'b');
    const first = await bulkDelete(a, { ids: ids.slice(0, 100) }).expect(200);
    expect(first.body).toEqual({ success: true, deleted: 100 });
    // Repeats, already deleted ids, unknown ids and another user's id are not counted.
    const mixed = await bulkDelete(a, {
      ids: [ids[100], ids[100], ids[0], 'never-was', 'b-00'],
    }).expect(200);
    expect(mixed.body).toEqual({ success: true, deleted: 1 });
    expect((await inbox(a).get()).size).toBe(19);
    expect((await inbox(b).doc('b-00').get()).exists).toBe(true);

    // The query-string form: repeated, or a single id.
    await request(app)
      .delete('/api/notifications')
      .query(`ids=${ids[101]}&ids=${ids[102]}`)
      .set('Authorization', a.bearer)
      .expect(200, { success: true, deleted: 2 });
    await request(app)
      .delete('/api/notifications')
      .query({ ids: ids[103] })
      .set('Authorization', a.bearer)
      .expect(200, { success: true, deleted: 1 });
    expect((await inbox(a).get()).size).toBe(16);
  });

  it('rejects 101 ids, none, or a bad id with 400 naming ids, deleting nothing', async () => {
    const ids = await seedBulk(a, 101);
    const cases: [object, string][] = [
      [{ ids }, 'ids'],
      [{ ids: [] }, 'ids'],
      [{}, 'ids'],
      [{ ids: { 0: ids[0] } }, 'ids'],
      [{ ids: ['a/b'] }, 'ids.0'],
      [{ ids: [ids[0], 7] }, 'ids.1'],
    ];
    for (const [body, field] of cases) {
      const res = await bulkDelete(a, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.details[0].field).toBe(field);
      expect(res.body.message).toContain(field);
    }
    expect((await inbox(a).get()).size).toBe(101);
  });
});

describe('addInboxItem (the notification engine’s write)', () => {
  it('stores one item per id: a second delivery changes nothing', async () => {
    clock.set('2026-11-23T12:00:00Z');
    await expect(addInboxItem(fs.db, clock, a.uid, item(1), 'evt-1')).resolves.toEqual({
      id: 'evt-1',
      created: true,
    });
    await inbox(a).doc('evt-1').update({ read: true });
    clock.advance(5_000);
    await expect(
      addInboxItem(fs.db, clock, a.uid, { ...item(1), title: 'Changed' }, 'evt-1'),
    ).resolves.toEqual({ id: 'evt-1', created: false });
    const all = await inbox(a).get();
    expect(all.size).toBe(1);
    expect(all.docs[0]!.data()).toEqual({
      type: 'task_assigned',
      title: 'Task 1',
      body: 'You were assigned task 1',
      taskId: 'task-1',
      projectId: 'project-1',
      read: true,
      groupKey: 'task_assigned:task-1',
      createdAt: Timestamp.fromDate(new Date('2026-11-23T12:00:00Z')),
      readAt: null,
    });
    // Optional references default to null.
    await addInboxItem(fs.db, clock, a.uid, { type: 'digest', title: 'Daily', body: '…' }, 'd-1');
    expect((await inbox(a).doc('d-1').get()).data()).toMatchObject({
      taskId: null,
      projectId: null,
      groupKey: null,
      read: false,
    });
  });
});
