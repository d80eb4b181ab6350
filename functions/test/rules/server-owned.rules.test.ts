import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import { PAST, useRulesEnv, type ClientDb } from './rules-env';

// Collections written and read by the Admin SDK only (which bypasses the rules): no client,
// signed in or not, admin claim or not, may touch them, nor their subcollections at any depth.
// Collections the rules do not name are denied too.

/** Each server-owned collection and the id of one of its seeded documents. */
const SERVER_OWNED: Record<string, string> = {
  deviceTokens: 'fcm-alice-phone',
  rateLimits: 'user:alice',
  _health: 'probe',
  scheduledJobs: 'daily-digest',
  deliveries: 'd1',
  activity: 'a1',
  stats: 'global',
  userStats: 'alice',
  processedEvents: 'evt-1',
  suppressions: 'alice@taskflow.test',
  jobLocks: 'daily-digest',
  jobHealth: 'reminders',
  emailSuppressions: 'a1b2c3',
  devOutbox: 'captured-1',
  digestSchedule: 'alice_daily',
  digests: 'alice_daily_2026-11-23',
  sweeps: 'dailyCleanup',
  backfills: 'userStats',
  taskAssignments: 't1',
  taskSearch: 't1',
  taskSchedules: 't1',
  broadcastJobs: 'bj_0123',
};

const rules = useRulesEnv(() => ({
  ...Object.fromEntries(
    Object.entries(SERVER_OWNED).map(([collection, id]) => [
      `${collection}/${id}`,
      { uid: 'alice', at: PAST },
    ]),
  ),
  'scheduledJobs/daily-digest/runs/r1': { status: 'ok', at: PAST },
  'broadcastJobs/bj_0123/shards/0': { recipients: 500, at: PAST },
  'stats/global/daily/2025-01-01': { tasksCreated: 3 },
  'userStats/alice/weeks/2025-W01': { tasksDone: 5 },
  'comments/c1': { uid: 'alice', text: 'hi' },
  // Alice is a member of p1, so tasks/t1 is hers to read; its subcollections are still not.
  'projects/p1': { name: 'Launch', workspaceId: 'w1', ownerId: 'alice', members: ['alice'] },
  'tasks/t1': { title: 'Plan', projectId: 'p1', workspaceId: 'w1', createdBy: 'alice' },
  'tasks/t1/stats/summary': { comments: 2 },
}));

function alice(): ClientDb {
  return rules.as('alice');
}

/** Every read a client can make of `collection`: get an existing document, and list. */
async function expectReadsDenied(db: ClientDb, collection: string, id: string): Promise<void> {
  await assertFails(db.doc(`${collection}/${id}`).get());
  await assertFails(db.collection(collection).get());
}

/** Every write a client can make: create a new document, update and delete an existing one. */
async function expectWritesDenied(db: ClientDb, collection: string, id: string): Promise<void> {
  await assertFails(db.doc(`${collection}/new-doc`).set({ by: 'client' }));
  await assertFails(db.doc(`${collection}/${id}`).update({ by: 'client' }));
  await assertFails(db.doc(`${collection}/${id}`).delete());
}

// One case per collection, so that a rule that opened any one of them fails by name.
describe('server-owned collections', () => {
  it.each([
    ['emailSuppressions', 'a1b2c3'],
    ['devOutbox', 'captured-1'],
    ['digestSchedule', 'alice_daily'],
    ['digests', 'alice_daily_2026-11-23'],
    ['sweeps', 'dailyCleanup'],
    ['backfills', 'userStats'],
    ['taskSearch', 't1'],
    ['taskSchedules', 't1'],
    ['memberRemovals', 'w1_bob'],
    ['broadcastJobs', 'bj_0123'],
  ])('denies a signed-in user reading or writing %s', async (collection, id) => {
    await expectReadsDenied(alice(), collection, id);
    await expectWritesDenied(alice(), collection, id);
  });

  it('denies a signed-in user reading or writing deviceTokens', async () => {
    await expectReadsDenied(alice(), 'deviceTokens', 'fcm-alice-phone');
    await expectWritesDenied(alice(), 'deviceTokens', 'fcm-alice-phone');
  });

  it('denies a signed-in user reading or writing rateLimits', async () => {
    await expectReadsDenied(alice(), 'rateLimits', 'user:alice');
    await expectWritesDenied(alice(), 'rateLimits', 'user:alice');
  });

  it('denies a signed-in user reading or writing _health', async () => {
    await expectReadsDenied(alice(), '_health', 'probe');
    await expectWritesDenied(alice(), '_health', 'probe');
  });

  it('denies a signed-in user reading or writing scheduledJobs', async () => {
    await expectReadsDenied(alice(), 'scheduledJobs', 'daily-digest');
    await expectWritesDenied(alice(), 'scheduledJobs', 'daily-digest');
  });

  it('denies a signed-in user reading or writing deliveries', async () => {
    await expectReadsDenied(alice(), 'deliveries', 'd1');
    await expectWritesDenied(alice(), 'deliveries', 'd1');
  });

  it('denies a signed-in user reading or writing activity', async () => {
    await expectReadsDenied(alice(), 'activity', 'a1');
    await expectWritesDenied(alice(), 'activity', 'a1');
  });

  it('denies a signed-in user reading or writing stats', async () => {
    await expectReadsDenied(alice(), 'stats', 'global');
    await expectWritesDenied(alice(), 'stats', 'global');
  });

  it('denies a signed-in user reading or writing userStats, even their own', async () => {
    await expectReadsDenied(alice(), 'userStats', 'alice');
    await expectWritesDenied(alice(), 'userStats', 'alice');
  });

  it('denies a signed-in user reading or writing processedEvents', async () => {
    await expectReadsDenied(alice(), 'processedEvents', 'evt-1');
    await expectWritesDenied(alice(), 'processedEvents', 'evt-1');
  });

  it('denies a signed-in user reading or writing suppressions, even their own address', async () => {
    await expectReadsDenied(alice(), 'suppressions', 'alice@taskflow.test');
    await expectWritesDenied(alice(), 'suppressions', 'alice@taskflow.test');
  });

  it('denies a signed-in user reading or writing jobLocks', async () => {
    await expectReadsDenied(alice(), 'jobLocks', 'daily-digest');
    await expectWritesDenied(alice(), 'jobLocks', 'daily-digest');
  });

  it('denies a signed-in user reading or writing jobHealth', async () => {
    await expectReadsDenied(alice(), 'jobHealth', 'reminders');
    await expectWritesDenied(alice(), 'jobHealth', 'reminders');
  });
});

describe('subcollections of server-owned collections', () => {
  it('denies scheduledJobs/{id}/runs', async () => {
    await expectReadsDenied(alice(), 'scheduledJobs/daily-digest/runs', 'r1');
    await expectWritesDenied(alice(), 'scheduledJobs/daily-digest/runs', 'r1');
    await assertFails(alice().collectionGroup('runs').get());
  });

  it('denies broadcastJobs/{id}/shards (the done-markers of a broadcast)', async () => {
    await expectReadsDenied(alice(), 'broadcastJobs/bj_0123/shards', '0');
    await expectWritesDenied(alice(), 'broadcastJobs/bj_0123/shards', '0');
    await assertFails(alice().collectionGroup('shards').get());
  });

  it('denies aggregates at any depth under stats and userStats', async () => {
    await expectReadsDenied(alice(), 'stats/global/daily', '2025-01-01');
    await expectWritesDenied(alice(), 'userStats/alice/weeks', '2025-W01');
  });

  it('denies a stats subcollection under a task its project member may read', async () => {
    await expectReadsDenied(alice(), 'tasks/t1/stats', 'summary');
    await expectWritesDenied(alice(), 'tasks/t1/stats', 'summary');
    await assertFails(alice().collectionGroup('stats').get());
  });
});

describe('server-owned collections, other clients', () => {
  it("denies a task's schedule to a project member who may read the task itself", async () => {
    // The reminder, overdue and recurrence bookkeeping: reading it would tell when a colleague
    // is reminded; writing it could silence or repeat reminders.
    await assertSucceeds(alice().doc('tasks/t1').get());
    await expectReadsDenied(alice(), 'taskSchedules', 't1');
    await expectWritesDenied(alice(), 'taskSchedules', 't1');
    await assertFails(alice().doc('taskSchedules/t2').set({ nextReminderAt: null }));
  });

  it('denies a user with the admin custom claim (claims grant nothing in the rules)', async () => {
    const admin = rules.as('root', { admin: true });
    for (const [collection, id] of Object.entries(SERVER_OWNED)) {
      await expectReadsDenied(admin, collection, id);
      await expectWritesDenied(admin, collection, id);
    }
  });

  it('denies a client that is not signed in', async () => {
    const anonymous = rules.anonymous();
    for (const [collection, id] of Object.entries(SERVER_OWNED)) {
      await expectReadsDenied(anonymous, collection, id);
      await expectWritesDenied(anonymous, collection, id);
    }
  });
});

describe('a collection the rules do not name (deny by default)', () => {
  it('denies a signed-in user reading it (get and list)', async () => {
    await expectReadsDenied(alice(), 'comments', 'c1');
  });

  it('denies a signed-in user writing it (create, update, delete)', async () => {
    await expectWritesDenied(alice(), 'comments', 'c1');
  });
});
