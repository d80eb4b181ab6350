import { defineBoolean, defineInt, defineString } from 'firebase-functions/params';

/**
 * Every setting of the backend, declared as a Firebase param: `firebase deploy` asks for (or reads
 * from `functions/.env.<project>`) anything without a value, and names it; defaults suit the local
 * Emulator Suite. `.value()` is called only at run time, never at module load.
 */

export const REGION = defineString('REGION', {
  default: 'us-central1',
  description: 'Region of every function',
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
  description: 'Proxy hops trusted for the client IP (1 = Google front end only)',
});

export const RATE_LIMIT_USER_PER_MINUTE = defineInt('RATE_LIMIT_USER_PER_MINUTE', {
  default: 120,
  description: 'REST/callable requests per minute per signed-in user (0 disables)',
});

export const RATE_LIMIT_IP_PER_MINUTE = defineInt('RATE_LIMIT_IP_PER_MINUTE', {
  default: 300,
  description: 'REST requests per minute per client IP (0 disables)',
});

export const ENFORCE_APP_CHECK = defineBoolean('ENFORCE_APP_CHECK', {
  default: false,
  description: 'Reject callable requests without a valid App Check token',
});
