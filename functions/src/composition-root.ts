import type {} from './domain/deps';
import type { Runtime } from './runtime';
import { HEALTH_PROBE } from './storage/collections';

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
  const { configProblems, parseCorsOrigins } =
    require('./config/config-check') as typeof import('./config/config-check');
  const { functionsLogger } =
    require('./infra/functions.logger') as typeof import('./infra/functions.logger');
  const { firebaseTokenVerifier } =
    require('./infra/token-verifier') as typeof import('./infra/token-verifier');
  const { firebaseAppCheckVerifier } =
    require('./infra/app-check-verifier') as typeof import('./infra/app-check-verifier');
  const { firestoreRateLimiter } =
    require('./infra/rate-limiter') as typeof import('./infra/rate-limiter');
  const { systemClock } = require('./core/clock') as typeof import('./core/clock');
  const { firebaseAccounts } =
    require('./infra/auth/firebase-accounts') as typeof import('./infra/auth/firebase-accounts');
  const { lazyCloudTasksBroadcastQueue } =
    require('./infra/tasks/broadcast.queues') as typeof import('./infra/tasks/broadcast.queues');
  /* eslint-enable @typescript-eslint/no-require-imports */

  // The default app (other apps a process may hold are not ours to reuse).
  const app = getApps().find((a) => a.name === '[DEFAULT]') ?? initializeApp();
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const logger = functionsLogger({ service: 'taskflow-functions' });
  const notifications = notificationSettings(params);
  const transport = deliveryTransport(params);
  logger.info('Runtime built', {
    deliveryTransport: transport,
    taskQueueTransport: params.TASK_QUEUE_TRANSPORT.value(),
    region: params.REGION.value(),
  });
  return {
    deps: {
      db,
      clock: systemClock,
      ...notificationChannels(app, db, params, notifications, transport),
      notifications,
      analyticsRetentionDays: params.ANALYTICS_RETENTION_DAYS.value(),
      accounts: firebaseAccounts(getAuth(app)),
      invitationTtlDays: params.INVITATION_TTL_DAYS.value(),
      broadcastQueue:
        params.TASK_QUEUE_TRANSPORT.value() === 'inline'
          ? undefined
          : lazyCloudTasksBroadcastQueue(() => params.REGION.value()),
    },
    tokens: firebaseTokenVerifier(getAuth(app)),
    appCheck: firebaseAppCheckVerifier(app),
    limiter: firestoreRateLimiter(db, systemClock, logger),
    logger,
    config: {
      corsOrigins: parseCorsOrigins(params.CORS_ALLOWED_ORIGINS.value()),
      bodyLimitBytes: params.MAX_BODY_KB.value() * 1024,
      trustProxyHops: params.TRUST_PROXY_HOPS.value(),
      rateLimit: {
        userPerMinute: params.RATE_LIMIT_USER_PER_MINUTE.value(),
        ipPerMinute: params.RATE_LIMIT_IP_PER_MINUTE.value(),
        webhookPerMinute: params.RATE_LIMIT_WEBHOOK_PER_MINUTE.value(),
      },
      notifications,
      enforceAppCheck: params.ENFORCE_APP_CHECK.value(),
    },
    probes: {
      firestore: async () => {
        await db.collection(HEALTH_PROBE).doc('probe').get();
      },
    },
    configProblems: () =>
      configProblems({
        deliveryTransport: transport,
        publicBaseUrl: notifications.publicBaseUrl,
        emailFrom: notifications.emailFrom.email,
        unsubscribeSigningKeySet: secretIsSet(params.UNSUBSCRIBE_SIGNING_KEY),
        sendgridApiKeySet: secretIsSet(params.SENDGRID_API_KEY),
      }),
    version: process.env.K_REVISION ?? packageVersion(),
  };
}

type Params = typeof import('./config/params');
type SecretParam = Params['SENDGRID_API_KEY'];

function deliveryTransport(params: Params): 'live' | 'capture' {
  const value = params.DELIVERY_TRANSPORT.value();
  return value === 'capture' ? 'capture' : 'live';
}

/**
 * Whether a secret has a value, or `undefined` when this function does not declare it (Firebase
 * sets the variable of every declared secret, and of no other).
 */
function secretIsSet(secret: SecretParam): boolean | undefined {
  if (process.env[secret.name] === undefined) return undefined;
  return secret.value() !== '';
}

/** A secret's value, read when first needed; a missing one fails that use only, naming it. */
function requiredSecret(secret: SecretParam, problem: string): string {
  const value = secret.value();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- errors load with the first use
  const { ConfigError } = require('./core/errors') as typeof import('./core/errors');
  if (value === '') throw new ConfigError(secret.name, problem);
  return value;
}

/**
 * The engine's settings. The unsubscribe signing key is a secret only the functions that build
 * emails declare, so it is read on first use (building an email, checking a link), not here:
 * every other function of the codebase builds the same runtime without it.
 */
function notificationSettings(params: Params): import('./runtime').NotificationSettings {
  let signingKey: string | undefined;
  return {
    publicBaseUrl: params.PUBLIC_BASE_URL.value().replace(/\/+$/, ''),
    emailFrom: { email: params.EMAIL_FROM.value(), name: params.EMAIL_FROM_NAME.value() },
    get unsubscribeSigningKey(): string {
      signingKey ??= requiredSecret(
        params.UNSUBSCRIBE_SIGNING_KEY,
        'is not set (firebase functions:secrets:set UNSUBSCRIBE_SIGNING_KEY): ' +
          'emails cannot carry unsubscribe links',
      );
      return signingKey;
    },
    sendgridWebhookPublicKey: params.SENDGRID_WEBHOOK_PUBLIC_KEY.value(),
    coalesceWindowSeconds: params.NOTIFY_COALESCE_SECONDS.value(),
    maxDeliveryAttempts: params.DELIVERY_MAX_ATTEMPTS.value(),
  };
}

/**
 * Push and email transports, chosen by the DELIVERY_TRANSPORT param (never by the project id):
 * `live` sends through FCM and SendGrid; `capture` writes every push and email to `devOutbox`
 * (readable in the emulator, dumped to files with `npm run outbox:dump`) and sends nothing.
 */
function notificationChannels(
  app: import('firebase-admin/app').App,
  db: import('firebase-admin/firestore').Firestore,
  params: Params,
  settings: import('./runtime').NotificationSettings,
  transport: 'live' | 'capture',
): Pick<import('./core/operation').Deps, 'messenger' | 'mailer'> {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded by the first notification only */
  const { fcmMessenger } =
    require('./infra/fcm/fcm.messenger') as typeof import('./infra/fcm/fcm.messenger');
  const { systemClock } = require('./core/clock') as typeof import('./core/clock');
  if (transport === 'capture') {
    const { firestoreCaptureMessaging } =
      require('./infra/fcm/capture-messaging') as typeof import('./infra/fcm/capture-messaging');
    const { firestoreCaptureMailer } =
      require('./infra/email/capture.mailer') as typeof import('./infra/email/capture.mailer');
    return {
      messenger: fcmMessenger(firestoreCaptureMessaging(db, systemClock), { clock: systemClock }),
      mailer: firestoreCaptureMailer(db, systemClock, { from: settings.emailFrom }),
    };
  }
  const { getMessaging } =
    require('firebase-admin/messaging') as typeof import('firebase-admin/messaging');
  const { liveMailer } =
    require('./infra/email/live.mailer') as typeof import('./infra/email/live.mailer');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return {
    messenger: fcmMessenger(getMessaging(app), {
      webBaseUrl: settings.publicBaseUrl,
      clock: systemClock,
    }),
    mailer: liveMailer({
      config: () => ({
        deliveryTransport: transport,
        publicBaseUrl: settings.publicBaseUrl,
        emailFrom: settings.emailFrom.email,
      }),
      apiKey: () =>
        requiredSecret(
          params.SENDGRID_API_KEY,
          'is not set (firebase functions:secrets:set SENDGRID_API_KEY): emails cannot be sent',
        ),
      from: settings.emailFrom,
    }),
  };
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}
