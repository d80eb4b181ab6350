import { emailConfigProblems, type ConfigValues } from '../../config/config-check';
import { ConfigError } from '../../core/errors';
import { DeliveryError, type Mailer } from '../../domain/notifications/channels';
import { sendgridMailer } from './sendgrid.mailer';

export interface LiveMailerOptions {
  /** The settings every email depends on (links, sender); checked before each send. */
  config: () => ConfigValues;
  /** The SendGrid key; read on the first send, so only functions that send email need it. */
  apiKey: () => string;
  from: { email: string; name: string };
  /** SendGrid's API origin (tests: a local sink). */
  baseUrl?: string | undefined;
}

/**
 * The production Mailer: SendGrid, behind a guard that refuses to send while a setting would put
 * a wrong link or sender in front of a real person (a localhost PUBLIC_BASE_URL, a reserved-domain
 * EMAIL_FROM, a missing key). A refusal is a transient `config` failure naming the param: the
 * engine keeps the email, retries it with backoff and records the reason; pushes and the inbox
 * are not affected.
 */
export function liveMailer(options: LiveMailerOptions): Mailer {
  let inner: Mailer | undefined;
  return {
    async send(message) {
      const problem = emailConfigProblems(options.config())[0];
      if (problem !== undefined) {
        throw new DeliveryError('transient', 'config', `${problem.param} ${problem.message}`);
      }
      if (inner === undefined) {
        let apiKey: string;
        try {
          apiKey = options.apiKey();
        } catch (e) {
          if (e instanceof ConfigError) throw new DeliveryError('transient', 'config', e.message);
          throw e;
        }
        inner = sendgridMailer({ apiKey, from: options.from, baseUrl: options.baseUrl });
      }
      return inner.send(message);
    },
  };
}
