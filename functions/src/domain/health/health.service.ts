import { z } from 'zod';
import type { Clock } from '../../core/clock';

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
  })
  .meta({ id: 'HealthReport' });

export type HealthReport = z.infer<typeof healthReportSchema>;

export interface HealthOptions {
  version: string;
  /** A probe slower than this is reported as `warn` and the service as degraded. */
  slowMs: number;
  /** A probe slower than this is abandoned and reported as `fail`. */
  timeoutMs: number;
}

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
  const status = statuses.includes('fail')
    ? 'unhealthy'
    : statuses.includes('warn')
      ? 'degraded'
      : 'healthy';
  return { status, timestamp: clock.now().toISOString(), version: options.version, checks };
}
