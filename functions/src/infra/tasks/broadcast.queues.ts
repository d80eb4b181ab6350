import type { BroadcastQueue } from '../../domain/notifications/broadcast.service';
import type { BroadcastShard } from '../../domain/notifications/broadcast-plan';
import { cloudTasksQueue, type TaskQueueTransport } from './cloud-tasks.queue';

/**
 * Adapters of the broadcast's {@link BroadcastQueue} port:
 * - {@link cloudTasksBroadcastQueue}: Cloud Tasks through firebase-admin (`getFunctions().taskQueue`)
 *   to the `sendBroadcastShard` task-queue function, in production and under the Cloud Tasks
 *   emulator.
 * The inline transport needs no adapter: without a queue the broadcast runs its shards itself.
 */

/** The deployed name of the task-queue function that runs shards; its queue is named after it. */
export const SEND_BROADCAST_SHARD = 'sendBroadcastShard';

/**
 * The Cloud Tasks queue of `sendBroadcastShard` in `region`, built on its first enqueue (a request
 * that sends nothing loads no firebase-admin/functions).
 */
export function lazyCloudTasksBroadcastQueue(region: () => string): BroadcastQueue {
  let queue: BroadcastQueue | undefined;
  return {
    async enqueue(shard, options) {
      if (queue === undefined) {
        const [{ getApps, initializeApp }, { getFunctions }] = await Promise.all([
          import('firebase-admin/app'),
          import('firebase-admin/functions'),
        ]);
        const app = getApps().find((a) => a.name === '[DEFAULT]') ?? initializeApp();
        queue = cloudTasksBroadcastQueue(
          getFunctions(app).taskQueue(`locations/${region()}/functions/${SEND_BROADCAST_SHARD}`),
        );
      }
      return queue.enqueue(shard, options);
    },
  };
}

/**
 * Enqueues a shard under its deterministic task id; an id Cloud Tasks already has (a repeated
 * request, a redelivered shard dispatching its successor again) is a `duplicate`, not an error.
 */
export function cloudTasksBroadcastQueue(
  queue: TaskQueueTransport,
  options: { dispatchDeadlineSeconds?: number } = {},
): BroadcastQueue {
  return cloudTasksQueue<BroadcastShard>(queue, options);
}
