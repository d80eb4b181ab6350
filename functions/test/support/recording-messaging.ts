import type { BatchResponse, Message, SendResponse } from 'firebase-admin/messaging';
import {
  FCM_MAX_BATCH,
  FCM_TOPIC_PATTERN,
  type MessagingTransport,
} from '../../src/infra/fcm/fcm.messenger';

/** An error shaped like firebase-admin's `FirebaseMessagingError`: `code`, `message`, `toJSON()`. */
export class RecordedFcmError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FirebaseMessagingError';
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export interface RecordingMessagingOptions {
  /**
   * Keep every sent message in `sent` (default). `false` only counts, so a benchmark of tens of
   * thousands of pushes measures the engine, not this recorder.
   */
  keepMessages?: boolean | undefined;
  /** Project id in the fake message ids (`projects/<id>/messages/<n>`); default `demo`. */
  projectId?: string | undefined;
}

export interface RecordingMessaging extends MessagingTransport {
  /** Every message handed over, in order (token and topic messages alike); empty if not kept. */
  readonly sent: Message[];
  /** Messages accepted, messages failed, and calls made, kept even when messages are not. */
  readonly counts: { accepted: number; failed: number; sendCalls: number; sendEachCalls: number };
  /** Size of each `sendEach` call, in order (shows the adapter's chunking). */
  readonly batchSizes: number[];
  /**
   * Makes sends to `token` fail with a firebase-admin-like error `code` (e.g.
   * `messaging/registration-token-not-registered`), for `times` sends or for good (default).
   */
  failToken(token: string, code: string, options?: { times?: number; message?: string }): void;
  /**
   * Makes the next `calls` calls (`send` or `sendEach`) reject as a whole, like a network failure;
   * `code` defaults to `app/network-error` (transient).
   */
  failNextCalls(calls: number, code?: string): void;
  /** Forgets recorded messages, counts and failure rules. */
  reset(): void;
}

interface TokenFailure {
  code: string;
  message: string;
  /** Sends left to fail; Infinity for good. */
  remaining: number;
}

/**
 * A recording stand-in for firebase-admin's `Messaging` (the network edge tests fake),
 * used by tests, the benchmark and the local stack's capture of pushes. Like the real SDK it
 * answers `projects/<id>/messages/<n>` ids, rejects a `sendEach` of 0 or more than 500 messages
 * as a whole, and reports an ill-formed message (not exactly one target, non-string data, bad
 * topic) as that message's failure; per-token and whole-call failures are injectable.
 */
export function recordingMessaging(options: RecordingMessagingOptions = {}): RecordingMessaging {
  const keep = options.keepMessages ?? true;
  const idPrefix = `projects/${options.projectId ?? 'demo'}/messages/`;
  const sent: Message[] = [];
  const counts = { accepted: 0, failed: 0, sendCalls: 0, sendEachCalls: 0 };
  const batchSizes: number[] = [];
  const tokenFailures = new Map<string, TokenFailure>();
  let failingCalls = 0;
  let failingCallCode = 'app/network-error';
  let nextId = 0;

  function callFailure(): RecordedFcmError | undefined {
    if (failingCalls <= 0) return undefined;
    failingCalls -= 1;
    return new RecordedFcmError(
      failingCallCode,
      `Injected whole-call failure (${failingCallCode})`,
    );
  }

  function malformed(message: Message): RecordedFcmError | undefined {
    const target = message as { token?: unknown; topic?: unknown; condition?: unknown };
    const targets = [target.token, target.topic, target.condition].filter(
      (t) => typeof t === 'string' && t !== '',
    );
    if (targets.length !== 1) {
      return new RecordedFcmError(
        'messaging/invalid-payload',
        'Exactly one of topic, token or condition is required',
      );
    }
    if (typeof target.topic === 'string' && !FCM_TOPIC_PATTERN.test(target.topic)) {
      return new RecordedFcmError('messaging/invalid-payload', 'Malformed topic name');
    }
    if (message.data) {
      for (const key in message.data) {
        if (typeof message.data[key] !== 'string') {
          return new RecordedFcmError(
            'messaging/invalid-payload',
            'data must only contain strings',
          );
        }
      }
    }
    return undefined;
  }

  function tokenFailure(message: Message): RecordedFcmError | undefined {
    if (tokenFailures.size === 0 || !('token' in message)) return undefined;
    const rule = tokenFailures.get(message.token);
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) tokenFailures.delete(message.token);
    return new RecordedFcmError(rule.code, rule.message);
  }

  /** One message through the fake backend: recorded, then accepted (its id) or failed. */
  function deliver(message: Message): string | RecordedFcmError {
    if (keep) sent.push(message);
    const error = malformed(message) ?? tokenFailure(message);
    if (error) {
      counts.failed += 1;
      return error;
    }
    counts.accepted += 1;
    nextId += 1;
    return idPrefix + String(nextId);
  }

  return {
    sent,
    counts,
    batchSizes,

    send(message) {
      counts.sendCalls += 1;
      const failure = callFailure();
      if (failure) return Promise.reject(failure);
      const outcome = deliver(message);
      return typeof outcome === 'string' ? Promise.resolve(outcome) : Promise.reject(outcome);
    },

    sendEach(messages) {
      counts.sendEachCalls += 1;
      if (messages.length === 0 || messages.length > FCM_MAX_BATCH) {
        return Promise.reject(
          new RecordedFcmError(
            'messaging/invalid-argument',
            `messages must be a non-empty array of at most ${FCM_MAX_BATCH}`,
          ),
        );
      }
      const failure = callFailure();
      if (failure) return Promise.reject(failure);
      batchSizes.push(messages.length);
      let successCount = 0;
      const responses = messages.map((message): SendResponse => {
        const outcome = deliver(message);
        if (typeof outcome !== 'string') return { success: false, error: outcome };
        successCount += 1;
        return { success: true, messageId: outcome };
      });
      const batch: BatchResponse = {
        responses,
        successCount,
        failureCount: responses.length - successCount,
      };
      return Promise.resolve(batch);
    },

    failToken(token, code, rule = {}) {
      tokenFailures.set(token, {
        code,
        message: rule.message ?? `Injected failure (${code})`,
        remaining: rule.times ?? Infinity,
      });
    },

    failNextCalls(calls, code = 'app/network-error') {
      failingCalls = calls;
      failingCallCode = code;
    },

    reset() {
      sent.length = 0;
      batchSizes.length = 0;
      counts.accepted = 0;
      counts.failed = 0;
      counts.sendCalls = 0;
      counts.sendEachCalls = 0;
      tokenFailures.clear();
      failingCalls = 0;
      nextId = 0;
    },
  };
}
