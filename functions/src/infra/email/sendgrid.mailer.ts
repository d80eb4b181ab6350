import { Client } from '@sendgrid/client';
import { MailService, type MailDataRequired } from '@sendgrid/mail';
import { DeliveryError, type EmailMessage, type Mailer } from '../../domain/notifications/channels';

export interface SendgridMailerOptions {
  /** SendGrid API key (the SENDGRID_API_KEY secret). Never logged, never in an error message. */
  apiKey: string;
  /** Verified sender (EMAIL_FROM / EMAIL_FROM_NAME). */
  from: { email: string; name: string };
  /** API origin; tests point it at a local HTTP sink. Default: SendGrid's global endpoint. */
  baseUrl?: string | undefined;
  /** Per-request timeout; a timeout is a transient failure. Default 10 s. */
  timeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Tracking SendGrid must not add: click tracking would rewrite every link (the unsubscribe and
 * task links included) through SendGrid's redirector; its subscription footer would duplicate our
 * own signed unsubscribe link; open tracking adds a pixel we have no use for.
 */
const TRACKING_SETTINGS = {
  clickTracking: { enable: false, enableText: false },
  openTracking: { enable: false },
  subscriptionTracking: { enable: false },
} as const;

/** What @sendgrid/client rejects with: a ResponseError (HTTP ≥ 400) or an axios/validation error. */
interface SendgridFailure {
  /** HTTP status on a ResponseError; a Node/axios code (ECONNREFUSED, ECONNABORTED) otherwise. */
  code?: unknown;
  message?: unknown;
  isAxiosError?: unknown;
  /** ResponseError: `{ headers, body }`; axios error with a non-error status: `{ status, data }`. */
  response?: { status?: unknown; body?: unknown; data?: unknown };
}

function errorMessages(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e: unknown) => {
    if (typeof e !== 'object' || e === null) return [];
    const { message, field } = e as { message?: unknown; field?: unknown };
    if (typeof message !== 'string') return [];
    return [typeof field === 'string' && field !== '' ? `${message} (${field})` : message];
  });
}

/** Classifies a rejection of `MailService.send` for the delivery engine (see FailureKind). */
function toDeliveryError(err: unknown, apiKey: string): DeliveryError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SendgridFailure;
  const redact = (text: string) => (apiKey === '' ? text : text.split(apiKey).join('[redacted]'));
  const status =
    typeof e.code === 'number'
      ? e.code
      : typeof e.response?.status === 'number'
        ? e.response.status
        : null;
  if (status !== null) {
    const messages = errorMessages(e.response?.body ?? e.response?.data);
    const detail = messages.length > 0 ? `: ${messages.join('; ')}` : '';
    const code = `sendgrid/${status}`;
    if (status === 408 || status === 429 || status >= 500) {
      return new DeliveryError('transient', code, redact(`SendGrid answered ${status}${detail}`));
    }
    return new DeliveryError(
      'permanent',
      code,
      redact(`SendGrid rejected the email (${status})${detail}`),
    );
  }
  const message = typeof e.message === 'string' ? e.message : String(err);
  if (e.isAxiosError === true || typeof e.code === 'string') {
    // No HTTP answer: refused, reset, DNS, timeout (axios ECONNABORTED / ETIMEDOUT).
    const code = typeof e.code === 'string' ? ` (${e.code})` : '';
    return new DeliveryError(
      'transient',
      'sendgrid/network',
      redact(`SendGrid unreachable${code}: ${message}`),
    );
  }
  // Thrown by the client before any request (e.g. the helper rejecting a malformed message).
  return new DeliveryError(
    'permanent',
    'sendgrid/invalid-message',
    redact(`SendGrid client refused the email: ${message}`),
  );
}

/** RFC 7230 token (header names) and printable ASCII (values): what SendGrid and Node accept. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/**
 * The client also sends the email's headers as HTTP request headers, where Node would reject a
 * bad one as a network-looking error; checking first keeps such an email `permanent`, not retried.
 */
function checkHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
      throw new DeliveryError(
        'permanent',
        'sendgrid/invalid-message',
        `email header ${JSON.stringify(name)} is not a valid ASCII header`,
      );
    }
  }
}

function headerValue(headers: unknown, name: string): string | null {
  if (typeof headers !== 'object' || headers === null) return null;
  const value = (headers as Record<string, unknown>)[name];
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return null;
}

/**
 * The production Mailer: SendGrid's v3 Mail Send API through the official `@sendgrid/mail`
 * client. Each mailer owns its `MailService` and `Client` (not the package's shared singletons),
 * so its key, base URL and timeout cannot leak into or out of other code in the process.
 *
 * Sends one personalization with the text part first (SendGrid requires text/plain before
 * text/html), our List-Unsubscribe headers, the category and custom args (echoed by the Event
 * Webhook), and SendGrid's own tracking off. Answers the `X-Message-Id` response header. Failures
 * become DeliveryErrors: 408/429/5xx and network errors or timeouts are `transient`, other 4xx
 * are `permanent` with SendGrid's error messages; the API key is never part of a message.
 */
export function sendgridMailer(options: SendgridMailerOptions): Mailer {
  const client = new Client();
  // setApiKey resets the base URL to the global endpoint, so the override comes after it.
  client.setApiKey(options.apiKey);
  if (options.baseUrl !== undefined) client.setDefaultRequest('baseUrl', options.baseUrl);
  const service = new MailService();
  service.setClient(client);
  service.setTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);

  return {
    async send(message: EmailMessage) {
      checkHeaders(message.headers);
      const data: MailDataRequired = {
        to:
          message.toName === undefined || message.toName === ''
            ? { email: message.to }
            : { email: message.to, name: message.toName },
        from: options.from,
        subject: message.subject,
        // The helper adds `text` before `html`, the order SendGrid requires.
        text: message.text,
        html: message.html,
        headers: { ...message.headers },
        categories: [message.category],
        customArgs: { ...message.customArgs },
        trackingSettings: TRACKING_SETTINGS,
      };
      try {
        const [response] = await service.send(data);
        return { messageId: headerValue(response.headers, 'x-message-id') };
      } catch (err) {
        throw toDeliveryError(err, options.apiKey);
      }
    },
  };
}
