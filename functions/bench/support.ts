import type { DocumentReference, Firestore } from 'firebase-admin/firestore';
import { systemClock } from '../src/core/clock';
import type { LogFields, Logger } from '../src/core/logger';
import type { Mailer } from '../src/domain/notifications/channels';
import type { NotifierDeps } from '../src/domain/notifications/delivery.service';
import type { NotificationSettings } from '../src/domain/notifications/settings';
import { fcmMessenger } from '../src/infra/fcm/fcm.messenger';
import { recordingMessaging } from '../test/support/recording-messaging';

/** What every benchmark shares: engine settings, a counting mailer and logger, batched seeding. */

/** Engine settings as in the tests (TEST_CONFIG.notifications in test/support/runtime.ts). */
export function benchSettings(coalesceWindowSeconds: number): NotificationSettings {
  return {
    publicBaseUrl: 'https://app.taskflow.test',
    emailFrom: { email: 'notifications@taskflow.test', name: 'TaskFlow' },
    unsubscribeSigningKey: 'bench-unsubscribe-signing-key-0123456789',
    sendgridWebhookPublicKey: '',
    coalesceWindowSeconds,
    maxDeliveryAttempts: 5,
  };
}

/** Counts emails and their size; keeps none (SendGrid is the network edge the benchmarks fake). */
export function countingMailer(): Mailer & { sent: number; bytes: number } {
  const mailer = {
    sent: 0,
    bytes: 0,
    send(message: Parameters<Mailer['send']>[0]) {
      mailer.sent += 1;
      mailer.bytes += Buffer.byteLength(message.html) + Buffer.byteLength(message.text);
      return Promise.resolve({ messageId: `bench-mail-${mailer.sent}` });
    },
  };
  return mailer;
}

/** Counts lines per level and keeps the first warnings/errors for the report. */
export function countingLogger(
  state = { levels: {} as Record<string, number>, problems: [] as string[] },
): Logger & { state: typeof state } {
  const emit =
    (level: string) =>
    (message: string, fields: LogFields = {}) => {
      state.levels[level] = (state.levels[level] ?? 0) + 1;
      if ((level === 'WARN' || level === 'ERROR') && state.problems.length < 5)
        state.problems.push(`${level} ${message} ${JSON.stringify(fields)}`);
    };
  return {
    state,
    debug: emit('DEBUG'),
    info: emit('INFO'),
    warn: emit('WARN'),
    error: emit('ERROR'),
    child: () => countingLogger(state),
  };
}

/**
 * The engine's deps as the benchmarks run it: the real FCM adapter over a recording transport
 * that keeps counts only, a counting mailer and logger, the system clock. The fakes come back too,
 * for the report.
 */
export function benchNotifier(db: Firestore, settings: NotificationSettings) {
  const messaging = recordingMessaging({ keepMessages: false });
  const mailer = countingMailer();
  const logger = countingLogger();
  const deps: NotifierDeps = {
    db,
    clock: systemClock,
    logger,
    messenger: fcmMessenger(messaging, { clock: systemClock }),
    mailer,
    settings,
  };
  return { deps, messaging, mailer, logger };
}

/** A Markdown table: one column of row names, then one right-aligned column per run. */
export function markdownTable<R>(
  header: readonly string[],
  rows: readonly (readonly [string, (run: R) => string])[],
  runs: readonly R[],
): string {
  return renderTable(
    header,
    rows.map(([name, value]) => [name, ...runs.map(value)]),
  );
}

/** A Markdown table of `body` under `header`: the first column left-aligned, the others right. */
export function renderTable(
  header: readonly string[],
  body: readonly (readonly string[])[],
): string {
  const widths = header.map((_, i) =>
    Math.max(...[header, ...body].map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

export const BATCH_LIMIT = 500;

/** Where seeding writes go: `set` stores a group of documents together, `close` finishes. */
export interface SeedWriter {
  set(writes: readonly (readonly [DocumentReference, Record<string, unknown>])[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Seeding writes: batched sets of at most 500, `concurrency` batches in flight. `set` takes a
 * group of writes that must land in one batch (e.g. a user with its devices), so nothing is ever
 * half-seeded; `close` commits the rest and waits for every batch.
 */
export function batchedWriter(db: Firestore, concurrency = 4): SeedWriter {
  let batch = db.batch();
  let inBatch = 0;
  const pending = new Set<Promise<unknown>>();
  const flush = async (): Promise<void> => {
    if (inBatch === 0) return;
    const commit = batch.commit();
    pending.add(commit);
    void commit.finally(() => pending.delete(commit));
    batch = db.batch();
    inBatch = 0;
    if (pending.size >= concurrency) await Promise.race(pending);
  };
  return {
    async set(writes) {
      if (inBatch + writes.length > BATCH_LIMIT) await flush();
      for (const [ref, data] of writes) batch.set(ref, data);
      inBatch += writes.length;
    },
    async close() {
      await flush();
      await Promise.all(pending);
    },
  };
}
