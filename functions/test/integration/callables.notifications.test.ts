import functionsTest from 'firebase-functions-test';
import { FixedClock } from '../../src/core/clock';
import { setRuntimeForTesting } from '../../src/composition-root';
import { addInboxItem } from '../../src/domain/notifications/inbox.service';
import { getUnreadCount, listNotifications, markAllNotificationsRead } from '../../src';
import { createTestUser, type TestUser } from '../support/auth';
import { callableRequest as as, httpsErrorCode as codeOf } from '../support/callable';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
let a: TestUser;
let b: TestUser;

beforeAll(async () => {
  setRuntimeForTesting(testRuntime(fs.db, { clock }));
  [a, b] = await Promise.all([createTestUser(), createTestUser()]);
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

interface Page {
  notifications: { id: string; read: boolean; readAt: string | null }[];
  nextCursor: string | null;
  totalCount: number;
  unreadCount: number;
}

describe('inbox callables (the Flutter door)', () => {
  it('list the caller’s inbox with the counts in the result, then mark all read', async () => {
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await addInboxItem(fs.db, clock, a.uid, { type: 't', title: `n${i}`, body: '' }, `n${i}`);
    }
    await addInboxItem(fs.db, clock, b.uid, { type: 't', title: 'b', body: '' }, 'b0');
    const list = fft.wrap(listNotifications);

    const first = (await list(as(a, { limit: 3 }))) as Page;
    expect(first.notifications.map((n) => n.id)).toEqual(['n4', 'n3', 'n2']);
    expect(first).toMatchObject({ totalCount: 5, unreadCount: 5 });
    const second = (await list(as(a, { limit: 3, cursor: first.nextCursor }))) as Page;
    expect(second.notifications.map((n) => n.id)).toEqual(['n1', 'n0']);
    expect(second.nextCursor).toBeNull();

    clock.set('2026-11-24T08:00:00Z');
    await expect(fft.wrap(markAllNotificationsRead)(as(a, {}))).resolves.toEqual({
      success: true,
      updated: 5,
    });
    const after = (await list(as(a, { unreadOnly: true }))) as Page;
    expect(after).toEqual({ notifications: [], nextCursor: null, totalCount: 5, unreadCount: 0 });
    const all = (await list(as(a, {}))) as Page;
    expect(new Set(all.notifications.map((n) => n.readAt))).toEqual(
      new Set(['2026-11-24T08:00:00.000Z']),
    );
    // B's inbox is untouched.
    await expect(fft.wrap(getUnreadCount)(as(b, {}))).resolves.toEqual({ unreadCount: 1 });
  });

  it('answer unauthenticated and invalid-argument', async () => {
    expect(await codeOf(fft.wrap(listNotifications)(as(null, {})))).toBe('unauthenticated');
    expect(await codeOf(fft.wrap(markAllNotificationsRead)(as(null, {})))).toBe('unauthenticated');
    expect(await codeOf(fft.wrap(listNotifications)(as(a, { limit: 500 })))).toBe(
      'invalid-argument',
    );
    expect(await codeOf(fft.wrap(markAllNotificationsRead)(as(a, { userId: b.uid })))).toBe(
      'invalid-argument',
    );
  });
});
