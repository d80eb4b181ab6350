import {
  DIGEST_QUEUE_MAX_ATTEMPTS,
  DIGEST_QUEUE_MAX_CONCURRENCY,
  DIGEST_QUEUE_MAX_PER_SECOND,
  REGION,
} from '../../src/config/params';
import { quarterHourlyDigests, sendDigest } from '../../src/functions/digests.functions';
import { onUserProfileWritten } from '../../src/functions/digests.triggers';

/**
 * The manifest the Firebase CLI deploys the digest functions from: the sweep's schedule, the task
 * queue's retry and rate limits (bound to params), the profile trigger's document.
 */
describe('digest functions manifest', () => {
  it('quarterHourlyDigests: every 15 minutes in UTC, not retried (the next tick is the retry)', () => {
    const endpoint = quarterHourlyDigests.__endpoint;
    expect(endpoint.region).toEqual(REGION);
    expect(endpoint.scheduleTrigger).toMatchObject({
      schedule: '*/15 * * * *',
      timeZone: 'Etc/UTC',
      retryConfig: { retryCount: 0 },
    });
  });

  it('sendDigest: a task queue with backoff from 60 s, attempts and rate limits from params', () => {
    const endpoint = sendDigest.__endpoint;
    expect(endpoint.region).toEqual(REGION);
    expect(endpoint.taskQueueTrigger).toMatchObject({
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
    });
  });

  it('onUserProfileWritten: users/{uid} writes, retried', () => {
    const endpoint = onUserProfileWritten.__endpoint;
    expect(endpoint.eventTrigger).toMatchObject({
      eventFilterPathPatterns: { document: 'users/{uid}' },
      retry: true,
    });
  });
});
