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
  const { firebaseAccounts } =
    require('./infra/auth/firebase-accounts') as typeof import('./infra/auth/firebase-accounts');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const app = getApps()[0] ?? initializeApp();
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  const logger = functionsLogger({ service: 'taskflow-functions' });
  const notifications = notificationSettings(params);
  return {
    deps: {
      db,
      clock: systemClock,
      ...notificationChannels(app, db, params, notifications),
      notifications,
      analyticsRetentionDays: params.ANALYTICS_RETENTION_DAYS.value(),
      accounts: firebaseAccounts(getAuth(app)),
      invitationTtlDays: params.INVITATION_TTL_DAYS.value(),
    },
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
      notifications,
    },
    probes: {
      firestore: async () => {
        await db.collection('_health').doc('probe').get();
      },
    },
    version: process.env.K_REVISION ?? packageVersion(),
  };
}

/** In a `demo-*` project (the Emulator Suite) there are no secrets; a fixed local key signs links. */
const LOCAL_UNSUBSCRIBE_KEY = 'taskflow-local-only-unsubscribe-key';

export function isDemoProject(): boolean {
  const project = process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT ?? '';
  return project === '' || project.startsWith('demo-');
}

function notificationSettings(
  params: typeof import('./config/params'),
): import('./runtime').NotificationSettings {
  const signingKey = params.UNSUBSCRIBE_SIGNING_KEY.value();
  if (signingKey === '' && !isDemoProject()) {
    throw new Error('UNSUBSCRIBE_SIGNING_KEY is not set (firebase functions:secrets:set)');
  }
  return {
    publicBaseUrl: params.PUBLIC_BASE_URL.value().replace(/\/+$/, ''),
    emailFrom: { email: params.EMAIL_FROM.value(), name: params.EMAIL_FROM_NAME.value() },
    unsubscribeSigningKey: signingKey === '' ? LOCAL_UNSUBSCRIBE_KEY : signingKey,
    sendgridWebhookPublicKey: params.SENDGRID_WEBHOOK_PUBLIC_KEY.value(),
    coalesceWindowSeconds: params.NOTIFY_COALESCE_SECONDS.value(),
    maxDeliveryAttempts: params.DELIVERY_MAX_ATTEMPTS.value(),
  };
}

/**
 * Push and email transports. In a `demo-*` project (the Emulator Suite), or without a SendGrid
 * key, deliveries are captured in `devOutbox` (readable in the emulator, dumped to files with
 * `npm run outbox:dump`) and never leave the machine.
 */
function notificationChannels(
  app: import('firebase-admin/app').App,
  db: import('firebase-admin/firestore').Firestore,
  params: typeof import('./config/params'),
  settings: import('./runtime').NotificationSettings,
): Pick<import('./core/operation').Deps, 'messenger' | 'mailer'> {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded by the first notification only */
  const { fcmMessenger } =
    require('./infra/fcm/fcm.messenger') as typeof import('./infra/fcm/fcm.messenger');
  const { systemClock } = require('./core/clock') as typeof import('./core/clock');
  const demo = isDemoProject();
  let messenger: import('./domain/notifications/channels').Messenger;
  if (demo) {
    const { firestoreCaptureMessaging } =
      require('./infra/fcm/capture-messaging') as typeof import('./infra/fcm/capture-messaging');
    messenger = fcmMessenger(firestoreCaptureMessaging(db, systemClock), { clock: systemClock });
  } else {
    const { getMessaging } =
      require('firebase-admin/messaging') as typeof import('firebase-admin/messaging');
    messenger = fcmMessenger(getMessaging(app), {
      webBaseUrl: settings.publicBaseUrl,
      clock: systemClock,
    });
  }
  const apiKey = params.SENDGRID_API_KEY.value();
  let mailer: import('./domain/notifications/channels').Mailer;
  if (demo || apiKey === '') {
    const { firestoreCaptureMailer } =
      require('./infra/email/capture.mailer') as typeof import('./infra/email/capture.mailer');
    mailer = firestoreCaptureMailer(db, systemClock, { from: settings.emailFrom });
  } else {
    const { sendgridMailer } =
      require('./infra/email/sendgrid.mailer') as typeof import('./infra/email/sendgrid.mailer');
    mailer = sendgridMailer({ apiKey, from: settings.emailFrom });
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { messenger, mailer };
}

function packageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../package.json') as { version: string }).version;
}
