import {
  BROADCAST_SHARD_SIZE,
  broadcastBatchId,
  broadcastJobId,
  classifyRecipient,
  jobProgress,
  nextShard,
  shardTaskId,
  tallyShard,
} from '../../src/domain/notifications/broadcast-plan';

describe('broadcast shard planning', () => {
  const first = { jobId: 'bj_x', index: 0, after: null };

  it('a full page is followed by a shard that starts after its last id; a short page is the last', () => {
    expect(nextShard(first, BROADCAST_SHARD_SIZE, 'u0499')).toEqual({
      jobId: 'bj_x',
      index: 1,
      after: 'u0499',
    });
    expect(nextShard({ ...first, index: 1, after: 'u0499' }, 499, 'u0998')).toBeNull();
    expect(nextShard(first, 0, undefined)).toBeNull();
  });

  it('ids are deterministic: same key and audience → same job; another list → another job', () => {
    const all = { kind: 'allUsers' } as const;
    expect(broadcastJobId('key-1', all)).toBe(broadcastJobId('key-1', all));
    expect(broadcastJobId('key-1', all)).toMatch(/^bj_[0-9a-f]{40}$/);
    expect(broadcastJobId('key-1', all)).not.toBe(broadcastJobId('key-2', all));
    const list = (ids: string[]) => broadcastJobId('key-1', { kind: 'userIds', userIds: ids });
    expect(list(['a', 'b', 'a'])).toBe(list(['b', 'a']));
    expect(list(['a', 'b'])).not.toBe(list(['a', 'c']));
    expect(list(['a'])).not.toBe(broadcastJobId('key-1', all));
    // The batch id (in every recipient's intent) depends on the key only, as before.
    expect(broadcastBatchId('key-1')).toMatch(/^bulk_[0-9a-f]{40}$/);
    expect(shardTaskId({ jobId: 'bj_x', index: 3 })).toBe('bj_x-s3');
    expect(shardTaskId({ jobId: 'bj_x', index: 3 })).toMatch(/^[A-Za-z0-9_-]{1,500}$/);
  });
});

describe('recipient outcomes', () => {
  it.each([
    [{ inbox: 'created', push: 'sent', email: 'sent' }, 'sent'],
    [{ inbox: 'created', push: 'skipped:push_disabled', email: 'off' }, 'sent'],
    [{ inbox: 'off', push: 'held', email: 'off' }, 'sent'],
    [{ inbox: 'off', push: 'retrying', email: 'off' }, 'sent'],
    [{ inbox: 'duplicate', push: 'duplicate', email: 'duplicate' }, 'sent'],
    [{ inbox: 'created', push: 'failed', email: 'sent' }, 'failed'],
    [{ inbox: 'skipped:no_user', push: 'skipped:no_user', email: 'skipped:no_user' }, 'skipped'],
    [{ inbox: 'off', push: 'skipped:push_disabled', email: 'skipped:no_email' }, 'skipped'],
  ])('%j counts as %s', (outcome, expected) => {
    expect(classifyRecipient(outcome)).toBe(expected);
  });

  it('a shard tally adds up to its recipients, with the engine outcomes per channel', () => {
    const tally = tallyShard([
      { inbox: 'created', push: 'sent', email: 'sent' },
      { inbox: 'created', push: 'failed', email: 'sent' },
      { inbox: 'skipped:no_user', push: 'skipped:no_user', email: 'skipped:no_user' },
    ]);
    expect(tally).toEqual({
      recipients: 3,
      sent: 1,
      failed: 1,
      skipped: 1,
      inbox: { created: 2, 'skipped:no_user': 1 },
      push: { sent: 1, failed: 1, 'skipped:no_user': 1 },
      email: { sent: 2, 'skipped:no_user': 1 },
    });
    expect(tally.sent + tally.skipped + tally.failed).toBe(tally.recipients);
  });
});

describe('job progress', () => {
  const base = { estimatedTotal: 1200, sent: 0, skipped: 0, failed: 0, shardsDone: 0 };

  it('not done while the last shard is unknown, or known but others still run', () => {
    expect(jobProgress({ ...base, shardsTotal: null })).toMatchObject({ total: 1200, done: false });
    // The last shard (2) finished before shard 1.
    expect(jobProgress({ ...base, sent: 700, shardsDone: 2, shardsTotal: 3 })).toMatchObject({
      total: 1200,
      sent: 700,
      done: false,
      shardsDone: 2,
      shardsTotal: 3,
    });
  });

  it('done: total is exactly what was processed (users joined or left during the send)', () => {
    expect(
      jobProgress({ ...base, sent: 1190, skipped: 8, failed: 3, shardsDone: 3, shardsTotal: 3 }),
    ).toEqual({
      total: 1201,
      sent: 1190,
      skipped: 8,
      failed: 3,
      done: true,
      shardsDone: 3,
      shardsTotal: 3,
    });
  });

  it('while running, total never reads below what was already processed', () => {
    expect(
      jobProgress({ ...base, estimatedTotal: 10, sent: 500, shardsDone: 1, shardsTotal: null }),
    ).toMatchObject({ total: 500, done: false });
  });
});
