import type { Firestore } from 'firebase-admin/firestore';
import { FixedClock, type Clock } from '../../src/core/clock';
import type { LogFields, Logger } from '../../src/core/logger';
import { fcmMessenger } from '../../src/infra/fcm/fcm.messenger';
import { recordingMessaging, type RecordingMessaging } from './recording-messaging';
import { firestoreRateLimiter } from '../../src/infra/rate-limiter';
import { recordingMailer } from './channels';
import { firebaseTokenVerifier } from '../../src/infra/token-verifier';
import { firebaseAccounts } from '../../src/infra/auth/firebase-accounts';
import type { Runtime, RuntimeConfig } from '../../src/runtime';
import { testAuth } from './auth';

export interface LogLine extends LogFields {
  level: string;
  message: string;
}

/** A logger that keeps every line (with its inherited fields) for assertions. */
export function recordingLogger(
  lines: LogLine[] = [],
  base: LogFields = {},
): Logger & { lines: LogLine[] } {
  const emit =
    (level: string) =>
    (message: string, fields: LogFields = {}) => {
      lines.push({ ...base, ...fields, level, message });
    };
  return {
    lines,
    debug: emit('DEBUG'),
    info: emit('INFO'),
    warn: emit('WARN'),
    error: emit('ERROR'),
    child: (fields) => recordingLogger(lines, { ...base, ...fields }),
  };
}

export const TEST_CONFIG: RuntimeConfig = {
  corsOrigins: ['https://app.taskflow.test'],
  bodyLimitBytes: 16 * 1024,
  trustProxyHops: 0,
  rateLimit: { userPerMinute: 0, ipPerMinute: 0, webhookPerMinute: 0 },
  notifications: {
    publicBaseUrl: 'https://app.taskflow.test',
    emailFrom: { email: 'notifications@taskflow.test', name: 'TaskFlow' },
    unsubscribeSigningKey: 'test-unsubscribe-signing-key-0123456789',
    sendgridWebhookPublicKey: '',
    coalesceWindowSeconds: 120,
    maxDeliveryAttempts: 5,
  },
};

/**
 * A runtime wired like production — Admin SDK token verification against the Auth emulator,
 * the Firestore rate limiter, a Firestore health probe — on the test file's own Firestore project,
 * with a fixed clock and a recording logger.
 */
export function testRuntime(
  db: Firestore,
  overrides: {
    config?: Partial<Omit<RuntimeConfig, 'rateLimit'>> & {
      rateLimit?: Partial<RuntimeConfig['rateLimit']>;
    };
    clock?: Clock;
  } = {},
): Runtime & {
  logger: ReturnType<typeof recordingLogger>;
  clock: Clock;
  /** Every push handed to "FCM", with injectable per-token and whole-call failures. */
  messaging: RecordingMessaging;
  /** Every email handed to "SendGrid". */
  mail: ReturnType<typeof recordingMailer>;
} {
  const clock = overrides.clock ?? new FixedClock('2026-11-23T10:00:00Z');
  const logger = recordingLogger();
  const config = {
    ...TEST_CONFIG,
    ...overrides.config,
    rateLimit: { ...TEST_CONFIG.rateLimit, ...overrides.config?.rateLimit },
    notifications: { ...TEST_CONFIG.notifications, ...overrides.config?.notifications },
  };
  const messaging = recordingMessaging();
  const mail = recordingMailer();
  return {
    deps: {
      db,
      clock,
      messenger: fcmMessenger(messaging, { clock }),
      mailer: mail,
      notifications: config.notifications,
      accounts: firebaseAccounts(testAuth()),
    },
    clock,
    messaging,
    mail,
    tokens: firebaseTokenVerifier(testAuth()),
    limiter: firestoreRateLimiter(db, clock, logger),
    logger,
    config,
    probes: {
      firestore: async () => {
        await db.collection('_health').doc('probe').get();
      },
    },
    version: 'test',
  };
}
