import type { Message, Messaging, SendResponse } from 'firebase-admin/messaging';
import {
  FCM_TOPIC_PATTERN,
  DeliveryError,
  type FailureKind,
  type Messenger,
  type TokenResult,
} from '../../domain/notifications/channels';
import { fcmMessageBase, type FcmMessengerOptions } from './fcm-message';

/**
 * The part of firebase-admin's `Messaging` the adapter uses. `getMessaging(app)` satisfies it, and
 * so does `recordingMessaging()` (tests, benchmark, local capture) — one adapter, two transports.
 */
export type MessagingTransport = Pick<Messaging, 'send' | 'sendEach'>;

/** Most messages one `sendEach` call accepts (firebase-admin rejects larger arrays). */
export const FCM_MAX_BATCH = 500;

/** FCM's topic name pattern (what firebase-admin and the FCM backend accept). */
export { FCM_TOPIC_PATTERN };

export {
  APNS_COLLAPSE_ID_MAX_BYTES,
  fcmChannelFor,
  fcmCollapseKey,
  fcmDataPayload,
  fcmMessageBase,
  type FcmChannelId,
  type FcmMessengerOptions,
} from './fcm-message';

// ---------------------------------------------------------------------------------------------
// Error classification

const UNREGISTERED_CODES = new Set([
  'messaging/registration-token-not-registered',
  'messaging/invalid-registration-token',
]);

const TRANSIENT_CODES = new Set([
  // What firebase-admin 13 maps FCM's UNAVAILABLE / INTERNAL / QUOTA_EXCEEDED (and the legacy
  // rate errors) to (lib/utils/error.js, MESSAGING_SERVER_TO_CLIENT_CODE):
  'messaging/server-unavailable',
  'messaging/internal-error',
  'messaging/message-rate-exceeded',
  'messaging/device-message-rate-exceeded',
  'messaging/topics-message-rate-exceeded',
  // FCM's own names, in case a transport reports them unmapped:
  'messaging/unavailable',
  'messaging/internal',
  'messaging/quota-exceeded',
  // Transport failures (firebase-admin's HTTP client), and the same wrapped in a
  // FirebaseMessagingSessionError when the HTTP/2 session of a sendEach breaks:
  'app/network-error',
  'app/network-timeout',
  'messaging/app/network-error',
  'messaging/app/network-timeout',
]);

/** Socket-level error codes of Node, for errors that reach us without a Firebase code. */
const NETWORK_ERRNO = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * FCM v1 reports a malformed token as INVALID_ARGUMENT (firebase-admin: `messaging/invalid-argument`)
 * with this message; other invalid arguments are payload problems and must not prune devices.
 */
const INVALID_TOKEN_MESSAGE = /registration token is not a valid FCM registration token/i;

/** firebase-admin appends the HTTP status of a non-JSON error response to the message. */
const STATUS_IN_MESSAGE = /Status code: (\d{3})\b/;

function errorField(err: unknown, field: 'code' | 'message'): string {
  if (typeof err !== 'object' || err === null) return '';
  const value = (err as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : '';
}

/**
 * Classifies a firebase-admin messaging error (or any thrown value) for the engine:
 * `unregistered` (delete the device, no retry), `transient` (retry with backoff) or `permanent`
 * (record, no retry). Codes are firebase-admin 13's (`error.code`); a `messaging/unknown-error`
 * carrying an HTTP 429/5xx status is transient, every other unknown code is permanent — so a bad
 * payload (`messaging/invalid-argument`) or bad credentials never prune devices or retry forever.
 */
export function classifyFcmError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const code = errorField(err, 'code');
  const message = errorField(err, 'message') || String(err);
  const kind = ((): FailureKind => {
    if (UNREGISTERED_CODES.has(code)) return 'unregistered';
    if (code === 'messaging/invalid-argument' && INVALID_TOKEN_MESSAGE.test(message)) {
      return 'unregistered';
    }
    if (TRANSIENT_CODES.has(code) || NETWORK_ERRNO.has(code)) return 'transient';
    if (code === 'messaging/unknown-error') {
      const status = Number(STATUS_IN_MESSAGE.exec(message)?.[1]);
      if (status === 429 || (status >= 500 && status <= 599)) return 'transient';
    }
    return 'permanent';
  })();
  return new DeliveryError(kind, code || 'messaging/unknown-error', message);
}

// ---------------------------------------------------------------------------------------------
// The adapter

/** A failed whole-batch `sendEach` may still know the per-message outcome (HTTP/2 session errors). */
function pendingBatch(err: unknown): Promise<{ responses: SendResponse[] }> | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const pending = (err as { pendingBatchResponse?: unknown }).pendingBatchResponse;
  return pending instanceof Promise
    ? (pending as Promise<{ responses: SendResponse[] }>)
    : undefined;
}

const unregisteredBlank = (token: string): TokenResult => ({
  token,
  ok: false,
  error: new DeliveryError(
    'unregistered',
    'messaging/invalid-registration-token',
    'Empty registration token',
  ),
});

/**
 * The FCM adapter of the `Messenger` port over firebase-admin messaging (or the recording
 * transport). Sends with `sendEach` (never the deprecated multicast), 500 messages per call, one
 * call at a time so a fan-out never opens thousands of streams at once; duplicate tokens are sent
 * once and share their result. Per-token failures come back classified (`classifyFcmError`), and
 * the call throws only when nothing could be sent: if a later chunk fails as a whole, its tokens
 * and the rest get that error as their result, keeping the earlier chunks' successes so a retry
 * does not push twice to devices that already have the notification.
 */
export function fcmMessenger(
  messaging: MessagingTransport,
  options: FcmMessengerOptions = {},
): Messenger {
  async function sendChunk(messages: Message[]): Promise<SendResponse[]> {
    try {
      return (await messaging.sendEach(messages)).responses;
    } catch (err) {
      const pending = pendingBatch(err);
      if (pending) {
        const settled = await pending.then(
          (batch) => batch.responses,
          () => undefined,
        );
        if (settled?.length === messages.length) return settled;
      }
      throw classifyFcmError(err);
    }
  }

  return {
    async sendToTokens(tokens, content) {
      if (tokens.length === 0) return [];
      const position = new Map<string, number>();
      const unique: string[] = [];
      for (const token of tokens) {
        if (!position.has(token)) {
          position.set(token, unique.length);
          unique.push(token);
        }
      }
      const results = new Array<TokenResult | undefined>(unique.length);
      const sendable: number[] = [];
      unique.forEach((token, i) => {
        if (token.trim() === '') results[i] = unregisteredBlank(token);
        else sendable.push(i);
      });

      if (sendable.length > 0) {
        const base = fcmMessageBase(content, 'token', options);
        for (let start = 0; start < sendable.length; start += FCM_MAX_BATCH) {
          const chunk = sendable.slice(start, start + FCM_MAX_BATCH);
          let responses: SendResponse[];
          try {
            responses = await sendChunk(chunk.map((i) => ({ ...base, token: unique[i] ?? '' })));
          } catch (err) {
            const error = classifyFcmError(err);
            if (start === 0) throw error;
            for (const i of sendable.slice(start)) {
              results[i] = { token: unique[i] ?? '', ok: false, error };
            }
            break;
          }
          chunk.forEach((i, j) => {
            const token = unique[i] ?? '';
            const response = responses[j];
            results[i] =
              response?.success && response.messageId
                ? { token, ok: true, messageId: response.messageId }
                : {
                    token,
                    ok: false,
                    error: classifyFcmError(
                      response?.error ?? {
                        code: 'messaging/unknown-error',
                        message: 'sendEach returned no response for this message',
                      },
                    ),
                  };
          });
        }
      }

      return tokens.map((token) => {
        const result = results[position.get(token) ?? -1];
        // Unreachable: every unique token got a result above.
        if (!result) throw new Error('fcmMessenger: a token was left without a result');
        return result;
      });
    },

    async sendToTopic(topic, content) {
      const name = topic.startsWith('/topics/') ? topic.slice('/topics/'.length) : topic;
      if (!FCM_TOPIC_PATTERN.test(name)) {
        throw new DeliveryError(
          'permanent',
          'messaging/invalid-argument',
          `Malformed topic name "${topic.slice(0, 100)}": use 1-900 of [a-zA-Z0-9-_.~%]`,
        );
      }
      try {
        const messageId = await messaging.send({
          ...fcmMessageBase(content, 'topic', options),
          topic: name,
        });
        return { messageId };
      } catch (err) {
        throw classifyFcmError(err);
      }
    },
  };
}
