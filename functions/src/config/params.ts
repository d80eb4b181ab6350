import {
  defineBoolean,
  defineInt,
  defineSecret,
  defineString,
  select,
} from 'firebase-functions/params';

/**
 * Every setting of the backend, declared as a Firebase param: `firebase deploy` asks for (or reads
 * from `functions/.env.<project>`) anything without a value, and names it. Defaults are the
 * production choice where there is one (live transports, Cloud Tasks) and otherwise suit the local
 * Emulator Suite; `functions/.env.example` lists them all. `.value()` is called only at run time,
 * never at module load. Nothing here depends on the project id.
 */

export const REGION = defineString('REGION', {
  default: 'us-central1',
  description:
    'Region of every function; the Hosting rewrite in firebase.json must name the same region',
});

/**
 * How pushes and emails leave: `live` sends through FCM and SendGrid; `capture` writes them to the
 * `devOutbox` collection and sends nothing (local stacks, which cannot reach the internet).
 */
export const DELIVERY_TRANSPORT = defineString('DELIVERY_TRANSPORT', {
  default: 'live',
  description: 'live: FCM + SendGrid; capture: write pushes and emails to devOutbox, send nothing',
  input: select(['live', 'capture']),
});

/**
 * Where the scheduled sweeps put their fan-out jobs: `cloud-tasks` (production, and the Cloud
 * Tasks emulator) or `inline` (run in the sweep's own process: a local stack without it).
 */
export const TASK_QUEUE_TRANSPORT = defineString('TASK_QUEUE_TRANSPORT', {
  default: 'cloud-tasks',
  description: 'cloud-tasks: enqueue to Cloud Tasks; inline: run queued jobs in the same process',
  input: select(['cloud-tasks', 'inline']),
});

export const CORS_ALLOWED_ORIGINS = defineString('CORS_ALLOWED_ORIGINS', {
  default: 'http://localhost:5000,http://127.0.0.1:5000',
  description: 'Comma-separated origins allowed to call the REST API from a browser; * for any',
});

export const MAX_BODY_KB = defineInt('MAX_BODY_KB', {
  default: 100,
  description: 'Largest JSON request body accepted by the REST API, in KiB',
});

export const TRUST_PROXY_HOPS = defineInt('TRUST_PROXY_HOPS', {
  default: 1,
  description:
    'Proxy hops trusted for the client IP (1 = Google front end; Hosting-rewritten requests add one)',
});

export const RATE_LIMIT_USER_PER_MINUTE = defineInt('RATE_LIMIT_USER_PER_MINUTE', {
  default: 120,
  description: 'REST/callable requests per minute per signed-in user (0 disables)',
});

export const RATE_LIMIT_IP_PER_MINUTE = defineInt('RATE_LIMIT_IP_PER_MINUTE', {
  default: 300,
  description: 'REST requests per minute per client IP (0 disables)',
});

export const RATE_LIMIT_WEBHOOK_PER_MINUTE = defineInt('RATE_LIMIT_WEBHOOK_PER_MINUTE', {
  default: 600,
  description:
    'SendGrid event webhook posts per minute per sending address, before signature checks (0 disables)',
});

export const ENFORCE_APP_CHECK = defineBoolean('ENFORCE_APP_CHECK', {
  default: false,
  description: 'Reject callable requests without a valid App Check token',
});

// ---- Notifications ----

export const PUBLIC_BASE_URL = defineString('PUBLIC_BASE_URL', {
  default: 'http://localhost:5000',
  description: 'Public origin of the app (Hosting), used for links in emails (unsubscribe)',
});

export const EMAIL_FROM = defineString('EMAIL_FROM', {
  default: 'notifications@taskflow.test',
  description: 'Sender address of notification emails (a verified SendGrid sender)',
});

export const EMAIL_FROM_NAME = defineString('EMAIL_FROM_NAME', {
  default: 'TaskFlow',
  description: 'Sender display name of notification emails',
});

/** SendGrid API key (Mail Send permission); read on the first live email of an instance. */
export const SENDGRID_API_KEY = defineSecret('SENDGRID_API_KEY');

/** HMAC key of one-click unsubscribe links; read when an email is built or a link is checked. */
export const UNSUBSCRIBE_SIGNING_KEY = defineSecret('UNSUBSCRIBE_SIGNING_KEY');

/**
 * The secrets of every function that may build or send an email (bound with `secrets: [...]`).
 * Firebase hands a function only the secrets it declares: the others read as empty.
 */
export const NOTIFY_SECRETS = [SENDGRID_API_KEY, UNSUBSCRIBE_SIGNING_KEY];

export const SENDGRID_WEBHOOK_PUBLIC_KEY = defineString('SENDGRID_WEBHOOK_PUBLIC_KEY', {
  default: '',
  description:
    'Verification key of the SendGrid Event Webhook (base64 ECDSA public key); empty rejects all',
});

export const NOTIFY_COALESCE_SECONDS = defineInt('NOTIFY_COALESCE_SECONDS', {
  default: 120,
  description: 'Push/email about one task within this many seconds are sent as one (0 disables)',
});

export const DELIVERY_MAX_ATTEMPTS = defineInt('DELIVERY_MAX_ATTEMPTS', {
  default: 5,
  description: 'Attempts of one push/email before it is recorded as failed',
});

// ---- Analytics ----

export const ANALYTICS_RETENTION_DAYS = defineInt('ANALYTICS_RETENTION_DAYS', {
  default: 400,
  description: 'Days an activity event is kept before the Firestore TTL policy deletes it (1–3650)',
});

export const INVITATION_TTL_DAYS = defineInt('INVITATION_TTL_DAYS', {
  default: 14,
  description: 'Days a workspace invitation can be accepted (1–90)',
});

// ---- Scheduling and cleanup ----

export const INBOX_READ_RETENTION_DAYS = defineInt('INBOX_READ_RETENTION_DAYS', {
  default: 30,
  description: 'Read inbox items older than this many days are deleted by the daily cleanup',
});

export const STALE_DEVICE_DAYS = defineInt('STALE_DEVICE_DAYS', {
  default: 60,
  description: 'Devices not seen (lastSeenAt) for this many days are removed by the daily cleanup',
});

export const DELIVERY_RETENTION_DAYS = defineInt('DELIVERY_RETENTION_DAYS', {
  default: 30,
  description: 'Finished push/email delivery records older than this many days are deleted',
});

// ---- Daily and weekly summaries ----

export const DIGEST_QUEUE_MAX_CONCURRENCY = defineInt('DIGEST_QUEUE_MAX_CONCURRENCY', {
  default: 20,
  description: 'Summary emails built at once by the sendDigest task queue (Cloud Tasks dispatches)',
});

export const DIGEST_QUEUE_MAX_PER_SECOND = defineInt('DIGEST_QUEUE_MAX_PER_SECOND', {
  default: 20,
  description: 'Summary emails started per second by the sendDigest task queue',
});

export const DIGEST_QUEUE_MAX_ATTEMPTS = defineInt('DIGEST_QUEUE_MAX_ATTEMPTS', {
  default: 5,
  description: 'Attempts of one summary job (Cloud Tasks retries with backoff from 60 s)',
});

// ---- Admin broadcasts ----

export const BROADCAST_QUEUE_MAX_CONCURRENCY = defineInt('BROADCAST_QUEUE_MAX_CONCURRENCY', {
  default: 50,
  description:
    'Broadcast shards (500 recipients each) run at once by the sendBroadcastShard task queue',
});

export const BROADCAST_QUEUE_MAX_PER_SECOND = defineInt('BROADCAST_QUEUE_MAX_PER_SECOND', {
  default: 10,
  description: 'Broadcast shards started per second by the sendBroadcastShard task queue',
});

export const BROADCAST_QUEUE_MAX_ATTEMPTS = defineInt('BROADCAST_QUEUE_MAX_ATTEMPTS', {
  default: 10,
  description: 'Attempts of one broadcast shard (Cloud Tasks retries with backoff from 10 s)',
});

// ---- Abuse bounds (recurrence, sweeps) ----

export const RECURRENCE_PER_OWNER_PER_RUN = defineInt('RECURRENCE_PER_OWNER_PER_RUN', {
  default: 25,
  description:
    "Series of one user the recurring-task sweep spawns per run; the rest wait behind other users' series",
});
