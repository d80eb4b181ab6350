import {
  BROADCAST_QUEUE_MAX_ATTEMPTS,
  BROADCAST_QUEUE_MAX_CONCURRENCY,
  BROADCAST_QUEUE_MAX_PER_SECOND,
  NOTIFY_SECRETS,
  REGION,
} from '../../src/config/params';
import { sendBroadcastShard } from '../../src/functions/broadcast.functions';
import {
  SEND_BROADCAST_SHARD,
  cloudTasksBroadcastQueue,
} from '../../src/infra/tasks/broadcast.queues';
import { recordingBroadcastQueue } from '../support/recording-queues';
import * as index from '../../src/index';

/** The manifest the Firebase CLI deploys the broadcast queue from, and its queue adapters. */
describe('sendBroadcastShard manifest', () => {
  it('a task queue named after the function, rate limits and attempts from params', () => {
    expect(Object.keys(index)).toContain(SEND_BROADCAST_SHARD);
    const endpoint = sendBroadcastShard.__endpoint;
    expect(endpoint.region).toEqual(REGION);
    expect(endpoint.taskQueueTrigger).toMatchObject({
      retryConfig: {
        maxAttempts: BROADCAST_QUEUE_MAX_ATTEMPTS,
        minBackoffSeconds: 10,
        maxBackoffSeconds: 600,
        maxDoublings: 4,
      },
      rateLimits: {
        maxConcurrentDispatches: BROADCAST_QUEUE_MAX_CONCURRENCY,
        maxDispatchesPerSecond: BROADCAST_QUEUE_MAX_PER_SECOND,
      },
    });
    // It sends email: the notification secrets are bound.
    expect(endpoint.secretEnvironmentVariables?.map((s) => s.key).sort()).toEqual(
      NOTIFY_SECRETS.map((s) => s.name).sort(),
    );
  });
});

describe('broadcast queue adapters', () => {
  const shard = { jobId: `bj_${'c'.repeat(40)}`, index: 2, after: 'user-0499' };

  it('Cloud Tasks: the shard as payload under its task id; an id it already has is a duplicate', async () => {
    const calls: unknown[] = [];
    let refuse = false;
    const queue = cloudTasksBroadcastQueue(
      {
        enqueue(data, options) {
          calls.push({ data, options });
          if (refuse)
            return Promise.reject(
              Object.assign(new Error('exists'), { code: 'functions/task-already-exists' }),
            );
          return Promise.resolve();
        },
      },
      { dispatchDeadlineSeconds: 300 },
    );
    await expect(queue.enqueue(shard, { id: 'bj-s2' })).resolves.toBe('enqueued');
    refuse = true;
    await expect(queue.enqueue(shard, { id: 'bj-s2' })).resolves.toBe('duplicate');
    expect(calls[0]).toEqual({
      data: shard,
      options: { id: 'bj-s2', dispatchDeadlineSeconds: 300 },
    });
  });

  it('Cloud Tasks: any other failure is thrown (the request or the shard is retried)', async () => {
    const queue = cloudTasksBroadcastQueue({
      enqueue: () => Promise.reject(Object.assign(new Error('quota'), { code: 'unavailable' })),
    });
    await expect(queue.enqueue(shard, { id: 'x' })).rejects.toThrow('quota');
  });

  it('recording: refuses an id seen before unless told to behave as after the window', async () => {
    const deduped = recordingBroadcastQueue();
    await deduped.enqueue(shard, { id: 'a' });
    await expect(deduped.enqueue(shard, { id: 'a' })).resolves.toBe('duplicate');
    expect(deduped.take()).toEqual([shard]);
    expect(deduped.take()).toEqual([]);
    const open = recordingBroadcastQueue({ dedupe: false });
    await open.enqueue(shard, { id: 'a' });
    await open.enqueue(shard, { id: 'a' });
    expect(open.take()).toHaveLength(2);
  });
});
