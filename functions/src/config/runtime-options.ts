import { REGION } from './params';

/**
 * The runtime settings of each kind of function, chosen here once. Every function runs in the
 * REGION param's region (the Hosting rewrite in firebase.json names the same one; a test keeps
 * them equal). Concurrency above 1 needs a whole vCPU, hence `cpu: 1` wherever it is set.
 *
 * `maxInstances` bounds the bill and the load one burst can put on Firestore and on third parties
 * (FCM, SendGrid); when it is reached, requests queue briefly and then get 429, which clients
 * already retry. Memory follows what each kind loads: Express + zod + the OpenAPI generator and
 * streamed exports for `api`, one operation for a callable, the notification engine for triggers.
 */

/** `api` (REST): the busiest door. 80 concurrent requests per instance are mostly I/O waits. */
export const API_OPTIONS = {
  region: REGION,
  memory: '512MiB',
  cpu: 1,
  concurrency: 80,
  maxInstances: 20,
  // Data exports stream page by page; everything else answers in well under a second.
  timeoutSeconds: 300,
} as const;

/** Callables: one operation each, I/O bound like REST, smaller. */
export const CALLABLE_OPTIONS = {
  region: REGION,
  memory: '256MiB',
  cpu: 1,
  concurrency: 80,
  maxInstances: 20,
  timeoutSeconds: 60,
} as const;

/**
 * Firestore triggers: retried on failure, so a burst of writes must not fan out into hundreds of
 * instances hammering FCM: a few instances each taking many events keeps the fan-out smooth.
 */
export const TRIGGER_OPTIONS = {
  region: REGION,
  memory: '256MiB',
  cpu: 1,
  concurrency: 20,
  maxInstances: 10,
  timeoutSeconds: 120,
} as const;

/**
 * Scheduled sweeps: one run per tick. A single instance that takes one request at a time makes
 * an overlapping tick wait instead of racing (exactly-once is still guaranteed by claims).
 */
export const SCHEDULE_OPTIONS = {
  region: REGION,
  memory: '512MiB',
  concurrency: 1,
  maxInstances: 1,
} as const;

/** Task-queue workers (fan-out jobs): Cloud Tasks' rate limits pace them; instances cap the rest. */
export const TASK_QUEUE_OPTIONS = {
  region: REGION,
  memory: '256MiB',
  cpu: 1,
  concurrency: 10,
  maxInstances: 10,
} as const;

/** 1st-gen Auth triggers (`runWith`): no concurrency in 1st gen. */
export const AUTH_TRIGGER_OPTIONS = { memory: '256MB', maxInstances: 10 } as const;
