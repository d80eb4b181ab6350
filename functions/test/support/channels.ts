import type { EmailMessage, Mailer } from '../../src/domain/notifications/channels';

/** A mailer that keeps every email (the SendGrid adapter itself is tested against an HTTP sink). */
export function recordingMailer(): Mailer & { sent: EmailMessage[] } {
  const sent: EmailMessage[] = [];
  return {
    sent,
    send(message) {
      sent.push(message);
      return Promise.resolve({ messageId: `test-mail-${sent.length}` });
    },
  };
}
