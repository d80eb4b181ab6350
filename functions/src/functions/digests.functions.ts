import { onSchedule } from 'firebase-functions/scheduler';
import { onTaskDispatched } from 'firebase-functions/tasks';
import {
  DIGEST_QUEUE_MAX_ATTEMPTS,
  DIGEST_QUEUE_MAX_CONCURRENCY,
  DIGEST_QUEUE_MAX_PER_SECOND,
  NOTIFY_SECRETS,
  REGION,
  TASK_QUEUE_TRANSPORT,
} from '../config/params';
import { SCHEDULE_OPTIONS, TASK_QUEUE_OPTIONS } from '../config/runtime-options';
import type { Deps } from '../core/operation';
import type { Logger } from '../core/logger';
import type { DigestQueue } from '../domain/digests/digest-sweep.service';

/**
 * Daily and weekly summaries: a sweep every 15 minutes enqueues one Cloud Tasks
 * job per due digest; `sendDigest` builds and sends each one. Everything heavy (zod, Firestore,
 * the engine) loads inside the handlers, so these exports cost nothing at cold start.
 */

/** The deployed name of the task-queue function; its queue is named after it. */
export const SEND_DIGEST = 'sendDigest';
/** The sweep's period; digests fall on quarter hours in every zone (offsets are whole quarters). */
export const DIGEST_SWEEP_PERIOD_MS = 15 * 60_000;

/**
 * The queue the sweep enqueues to, by the TASK_QUEUE_TRANSPORT param: Cloud Tasks (production, and
 * the Cloud Tasks emulator), or `inline` — a local stack without it — where the jobs run in the
 * sweep's process once it has enqueued them (`drain`).
 */
async function digestQueue(
  deps: Deps,
  log: Logger,
): Promise<{ queue: DigestQueue; drain?: () => Promise<{ ran: number; failed: number }> }> {
  const queues = await import('../infra/tasks/digest.queues');
  if (TASK_QUEUE_TRANSPORT.value() === 'inline') {
    const [{ sendUserDigest }, { notifierDeps }] = await Promise.all([
      import('../domain/digests/digest-send.service'),
      import('../domain/notifications/delivery.service'),
    ]);
    const queue = queues.inlineDigestQueue((job) => sendUserDigest(notifierDeps(deps, log), job), {
      onError: (job, e) => {
        log.error('Digest job failed (run inline)', {
          userId: job.uid,
          period: job.period,
          localDate: job.localDate,
          error: e instanceof Error ? e.message : String(e),
        });
      },
    });
    return { queue, drain: () => queue.drain() };
  }
  const [{ getApps, initializeApp }, { getFunctions }] = await Promise.all([
    import('firebase-admin/app'),
    import('firebase-admin/functions'),
  ]);
  const app = getApps().find((a) => a.name === '[DEFAULT]') ?? initializeApp();
  return {
    queue: queues.cloudTasksDigestQueue(
      getFunctions(app).taskQueue(`locations/${REGION.value()}/functions/${SEND_DIGEST}`),
    ),
  };
}

/**
 * `quarterHourlyDigests` (every 15 minutes, UTC): enqueues the digests that are due — one indexed
 * range query over `digestSchedule`, about one read per digest — and logs one summary line.
 * Overlapping or repeated ticks enqueue nothing twice (deterministic task ids, digest markers).
 */
export const quarterHourlyDigests = onSchedule(
  {
    schedule: '*/15 * * * *',
    timeZone: 'Etc/UTC',
    ...SCHEDULE_OPTIONS,
    // The local stack runs jobs inline, which sends email.
    secrets: NOTIFY_SECRETS,
    timeoutSeconds: 540,
    retryCount: 0,
  },
  async (event) => {
    const [{ getRuntime }, { enqueueDueDigests }, { recordJobRun }] = await Promise.all([
      import('../composition-root'),
      import('../domain/digests/digest-sweep.service'),
      import('../domain/health/job-health.service'),
    ]);
    const { deps, logger } = getRuntime();
    const log = logger.child({
      function: 'quarterHourlyDigests',
      scheduleTime: event.scheduleTime,
    });
    const started = performance.now();
    const durationMs = () => Math.round(performance.now() - started);
    try {
      const { queue, drain } = await digestQueue(deps, log);
      const report = await enqueueDueDigests(
        { db: deps.db, clock: deps.clock, logger: log },
        queue,
      );
      const inline = drain === undefined ? {} : { ranInline: await drain() };
      const summary = { ...report, ...inline, durationMs: durationMs() };
      log.info('Digest sweep', summary);
      await recordJobRun(deps.db, deps.clock, 'quarterHourlyDigests', {
        periodSeconds: DIGEST_SWEEP_PERIOD_MS / 1000,
        ok: report.failed === 0,
        ...(report.failed === 0 ? {} : { error: `${report.failed} digests not enqueued` }),
        summary,
      });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      log.error('Digest sweep failed', { error, durationMs: durationMs() });
      await recordJobRun(deps.db, deps.clock, 'quarterHourlyDigests', {
        periodSeconds: DIGEST_SWEEP_PERIOD_MS / 1000,
        ok: false,
        error,
        summary: { durationMs: durationMs() },
      });
      throw e;
    }
  },
);

/**
 * `sendDigest` (Cloud Tasks): one user's summary email. Cloud Tasks retries a failed job with
 * backoff (a Firestore hiccup); the job is idempotent (digest marker, engine intent key). A
 * payload that does not parse is logged and dropped: no retry could fix it.
 */
export const sendDigest = onTaskDispatched(
  {
    ...TASK_QUEUE_OPTIONS,
    secrets: NOTIFY_SECRETS,
    timeoutSeconds: 120,
    retryConfig: {
      maxAttempts: DIGEST_QUEUE_MAX_ATTEMPTS,
      minBackoffSeconds: 60,
      maxBackoffSeconds: 3600,
      maxDoublings: 4,
    },
    rateLimits: {
      maxConcurrentDispatches: DIGEST_QUEUE_MAX_CONCURRENCY,
      maxDispatchesPerSecond: DIGEST_QUEUE_MAX_PER_SECOND,
    },
  },
  async (request) => {
    const [{ getRuntime }, { digestJobSchema }, { sendUserDigest }, { notifierDeps }] =
      await Promise.all([
        import('../composition-root'),
        import('../domain/digests/digest.schema'),
        import('../domain/digests/digest-send.service'),
        import('../domain/notifications/delivery.service'),
      ]);
    const { deps, logger } = getRuntime();
    const log = logger.child({
      function: SEND_DIGEST,
      taskId: request.id,
      attempt: request.retryCount + 1,
    });
    const parsed = digestJobSchema.safeParse(request.data);
    if (!parsed.success) {
      log.error('Not a digest job; dropped', { issues: parsed.error.issues.map((i) => i.message) });
      return;
    }
    await sendUserDigest(notifierDeps(deps, log), parsed.data);
  },
);
