import express from 'express';
import { checkHealth } from '../domain/health/health.service';
import { readJobRecords } from '../domain/health/job-health.service';
import { readSweepErrors } from '../domain/scheduling/sweep-errors.service';
import type { Runtime } from '../runtime';

/** `GET /health`: public; 200 when healthy or degraded, 503 when a dependency fails. */
export function healthRouter(runtime: Runtime): express.Router {
  const router = express.Router();
  router.get('/health', (_req, res, next) => {
    checkHealth(runtime.probes, runtime.deps.clock, {
      version: runtime.version,
      slowMs: 1000,
      timeoutMs: 3000,
      jobs: () => readJobRecords(runtime.deps.db),
      configProblems: runtime.configProblems,
      sweepErrors: () => readSweepErrors(runtime.deps.db),
    })
      .then((report) => {
        res.setHeader('Cache-Control', 'no-store');
        res.status(report.status === 'unhealthy' ? 503 : 200).json(report);
      })
      .catch(next);
  });
  return router;
}
