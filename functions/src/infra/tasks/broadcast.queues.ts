import type { BroadcastQueue } from '../../domain/notifications/broadcast.service';
import { TASK_ALREADY_EXISTS, type TaskQueueTransport } from './digest.queues';

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

function errorCode(e: unknown): unknown {
  if (typeof e !== 'object' || e === null) return undefined;
  const withCode = e as { code?: unknown; errorInfo?: { code?: unknown } };
  return withCode.code ?? withCode.errorInfo?.code;
}

/**
 * Enqueues a shard under its deterministic task id; an id Cloud Tasks already has (a repeated
 * request, a redelivered shard dispatching its successor again) is a `duplicate`, not an error.
 */
export function cloudTasksBroadcastQueue(
  queue: TaskQueueTransport,
  options: { dispatchDeadlineSeconds?: number } = {},
): BroadcastQueue {
  return {
    async enqueue(shard, { id }) {
      try {
        await queue.enqueue(
          { ...shard },
          {
            id,
            ...(options.dispatchDeadlineSeconds === undefined
              ? {}
              : { dispatchDeadlineSeconds: options.dispatchDeadlineSeconds }),
          },
        );
        return 'enqueued';
      } catch (e) {
        if (errorCode(e) === TASK_ALREADY_EXISTS) return 'duplicate';
        throw e;
      }
    },
  };
}
