/**
 * In-memory stand-ins for the Cloud Tasks queues (digests, broadcast shards): they record what the
 * code under test enqueues, so a test or a benchmark delivers it when it chooses — twice, out of
 * order, or not at all. `dedupe` (default true) refuses an id seen before, as Cloud Tasks does
 * within its de-duplication window; `false` accepts every call, as Cloud Tasks does once the window
 * is over.
 */
import type { DigestJob } from '../../src/domain/digests/digest.schema';
import type { DigestQueue } from '../../src/domain/digests/digest-sweep.service';
import type { BroadcastShard } from '../../src/domain/notifications/broadcast-plan';
import type { BroadcastQueue } from '../../src/domain/notifications/broadcast.service';

interface Recorder<T> {
  readonly entries: { value: T; id: string }[];
  readonly duplicates: number;
  enqueue(value: T, options: { id: string }): Promise<'enqueued' | 'duplicate'>;
  take(): T[];
}

function recorder<T extends object>(dedupe: boolean): Recorder<T> {
  const entries: { value: T; id: string }[] = [];
  const ids = new Set<string>();
  let taken = 0;
  let duplicates = 0;
  return {
    entries,
    get duplicates() {
      return duplicates;
    },
    enqueue(value, { id }) {
      if (dedupe && ids.has(id)) {
        duplicates++;
        return Promise.resolve('duplicate');
      }
      ids.add(id);
      entries.push({ value: { ...value }, id });
      return Promise.resolve('enqueued');
    },
    take() {
      const out = entries.slice(taken).map((e) => e.value);
      taken = entries.length;
      return out;
    },
  };
}

export interface RecordingDigestQueue extends DigestQueue {
  /** Every job accepted, in order. */
  readonly jobs: { job: DigestJob; id: string }[];
  /** Enqueue calls refused as duplicates. */
  readonly duplicates: number;
  /** Takes the accepted jobs not yet taken (what a test or the benchmark then delivers). */
  take(): DigestJob[];
}

export function recordingDigestQueue(options: { dedupe?: boolean } = {}): RecordingDigestQueue {
  const r = recorder<DigestJob>(options.dedupe ?? true);
  return {
    get jobs() {
      return r.entries.map((e) => ({ job: e.value, id: e.id }));
    },
    get duplicates() {
      return r.duplicates;
    },
    enqueue: (job, options) => r.enqueue(job, options),
    take: () => r.take(),
  };
}

export interface RecordingBroadcastQueue extends BroadcastQueue {
  /** Every shard accepted, in order. */
  readonly shards: { shard: BroadcastShard; id: string }[];
  /** Takes the accepted shards not yet taken (what a test or the benchmark then delivers). */
  take(): BroadcastShard[];
}

export function recordingBroadcastQueue(
  options: { dedupe?: boolean } = {},
): RecordingBroadcastQueue {
  const r = recorder<BroadcastShard>(options.dedupe ?? true);
  return {
    get shards() {
      return r.entries.map((e) => ({ shard: e.value, id: e.id }));
    },
    enqueue: (shard, options) => r.enqueue(shard, options),
    take: () => r.take(),
  };
}
