import { onTaskDispatched } from 'firebase-functions/tasks';
import {
  BROADCAST_QUEUE_MAX_ATTEMPTS,
  BROADCAST_QUEUE_MAX_CONCURRENCY,
  BROADCAST_QUEUE_MAX_PER_SECOND,
  NOTIFY_SECRETS,
} from '../config/params';
import { TASK_QUEUE_OPTIONS } from '../config/runtime-options';

/**
 * Admin broadcasts to a whole audience: the request creates the job and enqueues its first shard;
 * `sendBroadcastShard` runs one shard (500 recipients) and, when its page was full, enqueues the
 * next one before delivering. Everything heavy loads inside the handler (cold start). The queue is
 * named after the function (`infra/tasks/broadcast.queues.ts`, SEND_BROADCAST_SHARD).
 */

/**
 * `sendBroadcastShard` (Cloud Tasks): one shard of a broadcast. Cloud Tasks retries a failed shard
 * with backoff; a redelivered shard finds its done-marker and does nothing, and a shard that
 * crashed half-way delivers again only to the recipients the engine has not seen (intent keys).
 * A payload that does not parse is logged and dropped: no retry could fix it.
 */
export const sendBroadcastShard = onTaskDispatched(
  {
    ...TASK_QUEUE_OPTIONS,
    secrets: NOTIFY_SECRETS,
    timeoutSeconds: 300,
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
  },
  async (request) => {
    const [{ getRuntime }, broadcasts, { notifierDeps }] = await Promise.all([
      import('../composition-root'),
      import('../domain/notifications/broadcast.service'),
      import('../domain/notifications/delivery.service'),
    ]);
    const { deps, logger } = getRuntime();
    const log = logger.child({
      function: 'sendBroadcastShard',
      taskId: request.id,
      attempt: request.retryCount + 1,
    });
    const parsed = broadcasts.broadcastShardSchema.safeParse(request.data);
    if (!parsed.success) {
      log.error('Not a broadcast shard; dropped', {
        issues: parsed.error.issues.map((i) => i.message),
      });
      return;
    }
    await broadcasts.runBroadcastShards(
      notifierDeps(deps, log),
      parsed.data,
      // The composition root's queue: Cloud Tasks, or none (TASK_QUEUE_TRANSPORT=inline).
      deps.broadcastQueue,
    );
  },
);
