import type { Message } from 'firebase-admin/messaging';
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { MessagingTransport } from './fcm.messenger';
import { DEV_OUTBOX } from '../../storage/collections';

/**
 * The FCM transport of local runs (a `demo-*` project): every message the real adapter built —
 * target, notification, Android/APNs/web options, data — is written to `devOutbox/{id}` with
 * `kind: 'push'`, where a developer can read it (Firestore emulator), and nothing leaves the
 * machine. Every token is "delivered", as FCM would for a live token.
 */
export function firestoreCaptureMessaging(db: Firestore, clock: Clock): MessagingTransport {
  async function capture(message: Message): Promise<string> {
    const ref = db.collection(DEV_OUTBOX).doc();
    // Firestore rejects `undefined`; the message is plain JSON data.
    const stored = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
    await ref.create({
      kind: 'push',
      message: stored,
      capturedAt: Timestamp.fromDate(clock.now()),
    });
    return `projects/demo/messages/captured-${ref.id}`;
  }
  return {
    send: (message: Message) => capture(message),
    async sendEach(messages: Message[]) {
      const responses = await Promise.all(
        messages.map(async (m) => ({ success: true as const, messageId: await capture(m) })),
      );
      return { responses, successCount: responses.length, failureCount: 0 };
    },
  };
}
