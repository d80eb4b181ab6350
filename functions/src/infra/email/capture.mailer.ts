import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { EmailMessage, Mailer } from '../../domain/notifications/channels';
import { DEV_OUTBOX } from '../../storage/collections';

/** Where local transports put what they would have sent (emails here have `kind: 'email'`). */

/** A captured email as stored in `devOutbox/{id}`. */
export interface CapturedEmailDoc {
  kind: 'email';
  to: string;
  toName: string | null;
  /** The sender the real mailer would use, when the composition root passes it. */
  from: { email: string; name: string } | null;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  category: string;
  customArgs: Record<string, string>;
  capturedAt: Timestamp;
}

/**
 * The Mailer of local runs (no SendGrid key, or a `demo-*` project): each email becomes one
 * readable `devOutbox/{id}` document with everything SendGrid would have received, and nothing
 * leaves the machine. `npm run outbox:dump` writes them out as .html/.txt/.eml files.
 * Answers `captured-<id>` as the message id so delivery records look like real ones.
 */
export function firestoreCaptureMailer(
  db: Firestore,
  clock: Clock,
  options: { from?: { email: string; name: string } } = {},
): Mailer {
  return {
    async send(message: EmailMessage) {
      const ref = db.collection(DEV_OUTBOX).doc();
      const doc: CapturedEmailDoc = {
        kind: 'email',
        to: message.to,
        toName: message.toName ?? null,
        from: options.from ?? null,
        subject: message.subject,
        html: message.html,
        text: message.text,
        headers: { ...message.headers },
        category: message.category,
        customArgs: { ...message.customArgs },
        capturedAt: Timestamp.fromDate(clock.now()),
      };
      await ref.create(doc);
      return { messageId: `captured-${ref.id}` };
    },
  };
}
