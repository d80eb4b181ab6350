import { onSchedule } from 'firebase-functions/scheduler';
import { NOTIFY_SECRETS } from '../config/params';
import { SCHEDULE_OPTIONS } from '../config/runtime-options';

/**
 * `releaseDeliveries` (every minute): sends pushes and emails that were held — quiet hours over,
 * coalescing window closed, retry backoff elapsed — and retries attempts whose instance died.
 * Cloud Scheduler may overlap or repeat a tick; every attempt is claimed with `create()`.
 */
export const releaseDeliveries = onSchedule(
  {
    schedule: 'every 1 minutes',
    ...SCHEDULE_OPTIONS,
    secrets: NOTIFY_SECRETS,
    timeoutSeconds: 120,
    retryCount: 0,
  },
  async (event) => {
    const [{ getRuntime }, { notifierDeps, releaseDueDeliveries }, { recordJobRun }] =
      await Promise.all([
        import('../composition-root'),
        import('../domain/notifications/delivery.service'),
        import('../domain/health/job-health.service'),
      ]);
    const { deps, logger } = getRuntime();
    const log = logger.child({ function: 'releaseDeliveries', scheduleTime: event.scheduleTime });
    const started = performance.now();
    try {
      const report = await releaseDueDeliveries(notifierDeps(deps, log));
      log.info('Deliveries released', {
        job: 'releaseDeliveries',
        ...report,
        durationMs: Math.round(performance.now() - started),
      });
      await recordJobRun(deps.db, deps.clock, 'releaseDeliveries', { periodSeconds: 60, ok: true });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      await recordJobRun(deps.db, deps.clock, 'releaseDeliveries', {
        periodSeconds: 60,
        ok: false,
        error,
      });
      throw e;
    }
  },
);
