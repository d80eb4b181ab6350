import type { Deps } from './core/operation';
import type { Logger } from './core/logger';
import type { Probe } from './domain/health/health.service';
import type { RateLimiter } from './infra/rate-limiter';
import type { TokenVerifier } from './infra/token-verifier';
import type { AppCheckVerifier } from './infra/app-check-verifier';
import type { NotificationSettings } from './domain/notifications/settings';
import type { ConfigProblem } from './config/config-check';

export type { NotificationSettings } from './domain/notifications/settings';

/** Settings of the HTTP and callable doors; from params in production, literal in tests. */
export interface RuntimeConfig {
  /** Origins allowed by CORS; `*` allows any. */
  corsOrigins: string[];
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /**
   * Proxy hops in front of the function trusted for the client IP: 1 = the Google front end.
   * A request that came through the Hosting rewrite trusts one hop more (see `client-ip.ts`).
   */
  trustProxyHops: number;
  rateLimit: {
    /** Requests per minute per signed-in user; 0 disables. */
    userPerMinute: number;
    /** Requests per minute per client IP; 0 disables. */
    ipPerMinute: number;
    /** SendGrid webhook posts per minute per sending address, checked before anything else; 0 disables. */
    webhookPerMinute: number;
  };
  notifications: NotificationSettings;
  /**
   * `ENFORCE_APP_CHECK`: REST operation routes require a valid `X-Firebase-AppCheck` token too
   * (callables always follow it). Absent → not enforced.
   */
  enforceAppCheck?: boolean;
}

/** Everything an adapter needs, built once per instance by the composition root. */
export interface Runtime {
  deps: Deps;
  tokens: TokenVerifier;
  /** Verifies REST App Check tokens when `config.enforceAppCheck` is set. */
  appCheck?: AppCheckVerifier;
  limiter: RateLimiter;
  logger: Logger;
  config: RuntimeConfig;
  probes: Record<string, Probe>;
  /** Settings that would break an effect (reported by the health endpoint); none in tests. */
  configProblems?: () => ConfigProblem[];
  version: string;
}
