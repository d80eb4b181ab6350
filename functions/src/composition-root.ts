import type { Runtime } from './runtime';

/**
 * The one place adapters are built. Everything is created lazily on the first request of an
 * instance, so a cold start loads only what the invoked function uses and deploy-time analysis of
 * the module (which has no credentials) does no I/O.
 */
let current: Runtime | undefined;

export function getRuntime(): Runtime {
  current ??= buildRuntime();
  return current;
}

/** Tests swap in a runtime wired to their own Firestore project and recording adapters. */
export function setRuntimeForTesting(runtime: Runtime | undefined): void {
  current = runtime;
}

function buildRuntime(): Runtime {
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy loading keeps cold starts small */
  const { getApps, initializeApp } =
    require('firebase-admin/app') as typeof import('firebase-admin/app');
  const { getFirestore } =
    require('firebase-admin/firestore') as typeof import('firebase-admin/firestore');
  const { getAuth } = require('firebase-admin/auth') as typeof import('firebase-admin/auth');
  const params = require('./config/params') as typeof import('./config/params');
  const { functionsLogger } =
    require('./infra/functions.logger') as typeof import('./infra/functions.logger');
  const { firebaseTokenVerifier } =
    require('./infra/token-verifier') as typeof import('./infra/token-verifier');
  const { firestoreRateLimiter } =
    require('./infra/rate-limiter') as typeof import('./infra/rate-limiter');
  const { systemClock } = require('./core/clock') as typeof import('./core/clock');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const app = getApps()[0] ?? initializeApp();
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const logger = functionsLogger({ service: 'taskflow-functions' });
  return {
    deps: { db, clock: systemClock },
    tokens: firebaseTokenVerifier(getAuth(app)),
    limiter: firestoreRateLimiter(db, systemClock, logger),
    logger,
    config: {
      corsOrigins: params.CORS_ALLOWED_ORIGINS.value()
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
      bodyLimitBytes: params.MAX_BODY_KB.value() * 1024,
      trustProxyHops: params.TRUST_PROXY_HOPS.value(),
      rateLimit: {
        userPerMinute: params.RATE_LIMIT_USER_PER_MINUTE.value(),
        ipPerMinute: params.RATE_LIMIT_IP_PER_MINUTE.value(),
      },
    },
    probes: {
      firestore: async () => {
        await db.collection('_health').doc('probe').get();
      },
    },
    version: process.env.K_REVISION ?? packageVersion(),
  };
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}
