import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import type { BroadcastShard } from '../src/domain/notifications/broadcast-plan';
import {
  getBroadcastJob,
  runBroadcastShards,
  startBroadcast,
  type BroadcastQueue,
} from '../src/domain/notifications/broadcast.service';
import { recordingBroadcastQueue } from '../test/support/recording-queues';
import { benchNotifier, benchSettings } from './support';

/**
 * The engine side of `npm run bench:broadcast`, in a worker thread: its own V8 heap, apart from the
 * embedded Firestore server that runs on the main thread (and keeps every stored document in the
 * main thread's heap). It starts one broadcast to every user, then delivers the queued shards one
 * after another as Cloud Tasks would, measuring this isolate's heap around each shard.
 */

export interface WorkerInput {
  host: string;
  projectId: string;
  batchKey: string;
  concurrency: number;
}

export interface ShardSample {
  index: number;
  recipients: number;
  ms: number;
  /** From the shard's start to the dispatch of its successor (page query + enqueue); null if last. */
  hopMs: number | null;
  /** Heap in use when the shard started (after a full GC), and its peak during the shard. */
  heapStartMb: number;
  heapPeakMb: number;
}

export interface WorkerResult {
  jobId: string;
  progress: { total: number; sent: number; skipped: number; failed: number; done: boolean };
  shards: ShardSample[];
  pushes: { accepted: number; failed: number };
  emails: number;
  logs: { levels: Record<string, number>; problems: string[] };
  /** Heap in use after setup and a full GC, the peak over the whole run, and after it + GC. */
  heap: { baselineMb: number; peakMb: number; afterMb: number };
  startMs: number;
}

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const used = (): number => getHeapStatistics().used_heap_size;

async function main(): Promise<void> {
  const input = workerData as WorkerInput;
  process.env.FIRESTORE_EMULATOR_HOST = input.host;
  const app = initializeApp({ projectId: input.projectId }, 'bench-broadcast');
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const { deps, messaging, mailer, logger } = benchNotifier(db, benchSettings(120));
  const recording = recordingBroadcastQueue();
  // When each shard was dispatched: a shard's "hop" is the time from its start to its successor's.
  const dispatchedAt = new Map<number, number>();
  const queue: BroadcastQueue & { take(): BroadcastShard[] } = {
    enqueue(shard, options) {
      dispatchedAt.set(shard.index, performance.now());
      return recording.enqueue(shard, options);
    },
    take: () => recording.take(),
  };

  gc?.();
  const baseline = used();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, used());
  }, 10);

  const t0 = performance.now();
  const started = await startBroadcast(
    deps,
    {
      audience: { kind: 'allUsers' },
      title: 'Scheduled maintenance',
      body: 'TaskFlow will be read-only on Sunday 29 Nov 02:00–03:00 UTC.',
      data: { kind: 'announcement' },
      idempotencyKey: input.batchKey,
    },
    { requestId: 'bench-request', createdBy: 'bench-admin' },
    queue,
  );
  const startMs = performance.now() - t0;

  const shards: ShardSample[] = [];
  for (let pending = queue.take(); pending.length > 0; pending = queue.take()) {
    for (const shard of pending) {
      gc?.();
      const start = used();
      let shardPeak = start;
      const shardSampler = setInterval(() => {
        shardPeak = Math.max(shardPeak, used());
      }, 10);
      const t = performance.now();
      const tally = await runBroadcastShards(deps, shard, queue, {
        concurrency: input.concurrency,
      });
      const ms = performance.now() - t;
      clearInterval(shardSampler);
      shardPeak = Math.max(shardPeak, used());
      peak = Math.max(peak, shardPeak);
      const successor = dispatchedAt.get(shard.index + 1);
      shards.push({
        index: shard.index,
        recipients: tally?.recipients ?? 0,
        ms,
        hopMs: successor === undefined ? null : successor - t,
        heapStartMb: start / MB,
        heapPeakMb: shardPeak / MB,
      });
      parentPort?.postMessage({ kind: 'shard', sample: shards[shards.length - 1] });
    }
  }
  clearInterval(sampler);
  gc?.();
  const after = used();
  const job = await getBroadcastJob(db, started.jobId);
  await deleteApp(app);
  const result: WorkerResult = {
    jobId: started.jobId,
    progress: job.progress,
    shards,
    pushes: { accepted: messaging.counts.accepted, failed: messaging.counts.failed },
    emails: mailer.sent,
    logs: { levels: { ...logger.state.levels }, problems: [...logger.state.problems] },
    heap: { baselineMb: baseline / MB, peakMb: peak / MB, afterMb: after / MB },
    startMs,
  };
  parentPort?.postMessage({ kind: 'result', result });
}

main().catch((e: unknown) => {
  parentPort?.postMessage({
    kind: 'error',
    error: e instanceof Error ? (e.stack ?? e.message) : String(e),
  });
});
