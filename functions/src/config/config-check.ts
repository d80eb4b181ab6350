/**
 * Which deployment settings would break an effect, decided from their values alone (no Firebase,
 * no I/O). The health endpoint reports every problem; the email transport refuses to send while
 * one that concerns email stands, and names the param.
 */

export interface ConfigProblem {
  /** The param or secret to fix. */
  param: string;
  /** What is wrong, without the value when it is a secret. */
  message: string;
  /** What stops working until it is fixed. */
  affects: 'email' | 'push' | 'unsubscribe';
}

export interface ConfigValues {
  /** `live` sends to real people; `capture` keeps everything on this machine. */
  deliveryTransport: string;
  publicBaseUrl: string;
  emailFrom: string;
  /** Whether the secret has a value; `undefined` when the function does not declare it. */
  unsubscribeSigningKeySet?: boolean | undefined;
  sendgridApiKeySet?: boolean | undefined;
}

/** Hosts that only make sense on a developer's machine or in documentation. */
const LOCAL_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;
const RESERVED_TLD = /\.(test|example|invalid|localhost|local)$/i;

function isLocalHost(host: string): boolean {
  return LOCAL_HOST.test(host) || RESERVED_TLD.test(host) || !host.includes('.');
}

/** The problems that concern email links and the sender (not the secrets). */
export function emailConfigProblems(values: ConfigValues): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  let url: URL | undefined;
  try {
    url = new URL(values.publicBaseUrl);
  } catch {
    problems.push({
      param: 'PUBLIC_BASE_URL',
      message: 'is not an absolute URL: links in emails would be broken',
      affects: 'email',
    });
  }
  const live = values.deliveryTransport === 'live';
  if (url !== undefined && live && (url.protocol !== 'https:' || isLocalHost(url.hostname))) {
    problems.push({
      param: 'PUBLIC_BASE_URL',
      message: `is ${url.origin}: emails to real people would link to a local or non-HTTPS address`,
      affects: 'email',
    });
  }
  const at = values.emailFrom.lastIndexOf('@');
  const domain = at > 0 ? values.emailFrom.slice(at + 1) : '';
  if (domain === '' || /\s/.test(values.emailFrom)) {
    problems.push({ param: 'EMAIL_FROM', message: 'is not an email address', affects: 'email' });
  } else if (live && isLocalHost(domain)) {
    problems.push({
      param: 'EMAIL_FROM',
      message: `uses the reserved domain ${domain}: set a verified SendGrid sender`,
      affects: 'email',
    });
  }
  return problems;
}

/** Every problem a function can see with the settings it has. */
export function configProblems(values: ConfigValues): ConfigProblem[] {
  const problems = emailConfigProblems(values);
  if (values.unsubscribeSigningKeySet === false) {
    problems.push({
      param: 'UNSUBSCRIBE_SIGNING_KEY',
      message: 'is not set: no email can be built and no unsubscribe link checked',
      affects: 'unsubscribe',
    });
  }
  if (values.deliveryTransport === 'live' && values.sendgridApiKeySet === false) {
    problems.push({
      param: 'SENDGRID_API_KEY',
      message: 'is not set: emails cannot be sent',
      affects: 'email',
    });
  }
  if (values.deliveryTransport !== 'live' && values.deliveryTransport !== 'capture') {
    problems.push({
      param: 'DELIVERY_TRANSPORT',
      message: 'must be live or capture',
      affects: 'push',
    });
  }
  return problems;
}

/** The CORS allow-list shared by REST and the callables: comma-separated origins, `*` for any. */
export function parseCorsOrigins(value: string): string[] {
  return value
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
}
