import type { DigestJob } from '../../domain/digests/digest.schema';
import type { DigestQueue } from '../../domain/digests/digest-sweep.service';
import { cloudTasksQueue, type TaskQueueTransport } from './cloud-tasks.queue';

/**
 * Adapters of the digest sweep's {@link DigestQueue} port:
 * - {@link cloudTasksDigestQueue}: Cloud Tasks through firebase-admin (`getFunctions().taskQueue`),
 *   in production and under the Cloud Tasks emulator (`CLOUD_TASKS_EMULATOR_HOST`);
 * - {@link inlineDigestQueue}: runs the jobs in the sweep's process once it has enqueued them —
 *   the local stack without the Cloud Tasks emulator;
 */

/** Enqueues to the `sendDigest` task queue with the job's deterministic id. */
export function cloudTasksDigestQueue(
  queue: TaskQueueTransport,
  options: { dispatchDeadlineSeconds?: number } = {},
): DigestQueue {
  return cloudTasksQueue<DigestJob>(queue, options);
}

export interface InlineDigestQueue extends DigestQueue {
  /**
   * Runs the jobs enqueued since the last drain, `concurrency` at a time (after the sweep, as
   * Cloud Tasks would dispatch them); answers how many ran and failed.
   */
  drain(): Promise<{ ran: number; failed: number }>;
}

/**
 * Keeps jobs in memory, once per id, and runs them on {@link InlineDigestQueue.drain}: the local
 * stack without the Cloud Tasks emulator. A failed job is reported to `onError` and not retried
 * (its digest marker stays `building`; the job can be run again by hand).
 */
export function inlineDigestQueue(
  run: (job: DigestJob) => Promise<unknown>,
  options: { concurrency?: number; onError?: (job: DigestJob, error: unknown) => void } = {},
): InlineDigestQueue {
  const seen = new Set<string>();
  let pending: DigestJob[] = [];
  return {
    enqueue(job, { id }) {
      if (seen.has(id)) return Promise.resolve('duplicate');
      seen.add(id);
      pending.push({ ...job });
      return Promise.resolve('enqueued');
    },
    async drain() {
      const jobs = pending;
      const ran = jobs.length;
      pending = [];
      let failed = 0;
      await Promise.all(
        Array.from({ length: Math.min(options.concurrency ?? 8, jobs.length) }, async () => {
          for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) {
            try {
              await run(job);
            } catch (e) {
              failed++;
              options.onError?.(job, e);
            }
          }
        }),
      );
      return { ran, failed };
    },
  };
}
