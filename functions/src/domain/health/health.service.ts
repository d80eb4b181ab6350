import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { jobHealthStatus, type JobHealthDoc } from './job-health.service';

/** One dependency probe: resolves when the dependency answered, rejects otherwise. */
export type Probe = () => Promise<void>;

export const healthReportSchema = z
  .object({
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    timestamp: z.string().meta({ example: '2026-11-23T10:30:00.000Z' }),
    version: z.string(),
    checks: z.record(
      z.string(),
      z.object({
        status: z.enum(['pass', 'warn', 'fail']),
        latencyMs: z.number(),
        error: z.string().optional(),
      }),
    ),
    /** Scheduled jobs: `warn` when the last successful run is older than twice the period. */
    jobs: z
      .record(
        z.string(),
        z.object({
          status: z.enum(['pass', 'warn']),
          periodSeconds: z.number(),
          lastSuccessAt: z.string().nullable(),
          lastSuccessAgeSeconds: z.number().nullable(),
        }),
      )
      .optional(),
    /** Deployment settings that would break an effect: `warn` (degraded) while any stands. */
    config: z
      .object({
        status: z.enum(['pass', 'warn']),
        problems: z.array(
          z.object({
            param: z.string().meta({ example: 'PUBLIC_BASE_URL' }),
            message: z.string(),
            affects: z.enum(['email', 'push', 'unsubscribe']),
          }),
        ),
      })
      .optional(),
    /**
     * Documents the sweeps could not process (skipped, recorded; quarantined after a few
     * attempts): present only when there are some. They never stop a sweep.
     */
    sweepErrors: z
      .object({
        count: z.number(),
        latest: z.array(
          z.object({
            sweep: z.string(),
            path: z.string(),
            error: z.string(),
            attempts: z.number(),
            quarantined: z.boolean(),
          }),
        ),
      })
      .optional(),
  })
  .meta({ id: 'HealthReport' });

export type HealthReport = z.infer<typeof healthReportSchema>;

/** The last recorded run of each scheduled job (`jobHealth/{name}`). */
export type JobRecords = () => Promise<Record<string, Partial<JobHealthDoc>>>;

export interface HealthOptions {
  version: string;
  /** A probe slower than this is reported as `warn` and the service as degraded. */
  slowMs: number;
  /** A probe slower than this is abandoned and reported as `fail`. */
  timeoutMs: number;
  /** When given, scheduled jobs are reported too; a late job makes the service degraded. */
  jobs?: JobRecords | undefined;
  /** When given, settings that would break an effect are reported and make the service degraded. */
  configProblems?: (() => ConfigProblemReport[]) | undefined;
  /** When given, the documents the sweeps could not process are reported (if any). */
  sweepErrors?: (() => Promise<NonNullable<HealthReport['sweepErrors']>>) | undefined;
}

type ConfigProblemReport = NonNullable<HealthReport['config']>['problems'][number];

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * Runs every probe in parallel. Any failed probe makes the service `unhealthy` (HTTP 503), a slow
 * one `degraded`; otherwise `healthy`.
 */
export async function checkHealth(
  probes: Record<string, Probe>,
  clock: Clock,
  options: HealthOptions,
): Promise<HealthReport> {
  type Check = HealthReport['checks'][string];
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, Check]> => {
      const started = performance.now();
      try {
        await withTimeout(probe(), options.timeoutMs);
        const latencyMs = Math.round(performance.now() - started);
        return [name, { status: latencyMs > options.slowMs ? 'warn' : 'pass', latencyMs }];
      } catch (e) {
        const latencyMs = Math.round(performance.now() - started);
        const error = e instanceof Error ? e.message : String(e);
        return [name, { status: 'fail', latencyMs, error: error.slice(0, 200) }];
      }
    }),
  );
  const checks: Record<string, Check> = Object.fromEntries(entries);
  const statuses = entries.map(([, c]) => c.status);
  let jobs: HealthReport['jobs'];
  if (options.jobs !== undefined && !statuses.includes('fail')) {
    // Only when Firestore answered: the job records live there.
    jobs = {};
    const now = clock.now();
    for (const [name, doc] of Object.entries(await options.jobs())) {
      const { degraded, lastSuccessAgeSeconds } = jobHealthStatus(doc, now);
      jobs[name] = {
        status: degraded ? 'warn' : 'pass',
        periodSeconds: doc.periodSeconds ?? 0,
        lastSuccessAt: doc.lastSuccessAt?.toDate().toISOString() ?? null,
        lastSuccessAgeSeconds,
      };
      if (degraded) statuses.push('warn');
    }
  }
  let config: HealthReport['config'];
  if (options.configProblems !== undefined) {
    const problems = options.configProblems();
    config = { status: problems.length > 0 ? 'warn' : 'pass', problems };
    if (problems.length > 0) statuses.push('warn');
  }
  let sweepErrors: HealthReport['sweepErrors'];
  if (options.sweepErrors !== undefined && !statuses.includes('fail')) {
    const found = await options.sweepErrors();
    if (found.count > 0) sweepErrors = found;
  }
  const status = statuses.includes('fail')
    ? 'unhealthy'
    : statuses.includes('warn')
      ? 'degraded'
      : 'healthy';
  return {
    status,
    timestamp: clock.now().toISOString(),
    version: options.version,
    checks,
    ...(jobs === undefined ? {} : { jobs }),
    ...(config === undefined ? {} : { config }),
    ...(sweepErrors === undefined ? {} : { sweepErrors }),
  };
}
