import { firebaseAccounts } from '../src/infra/auth/firebase-accounts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { DocumentReference, getFirestore, type Firestore } from 'firebase-admin/firestore';
import { systemClock } from '../src/core/clock';
import { AppError } from '../src/core/errors';
import { silentLogger } from '../src/core/logger';
import type { Caller } from '../src/core/operation';
import { checkHealth } from '../src/domain/health/health.service';
import { readJobRecords } from '../src/domain/health/job-health.service';
import { readSweepErrors } from '../src/domain/scheduling/sweep-errors.service';
import { createTask, listTasks } from '../src/domain/tasks/task.service';
import { createApp } from '../src/http/app';
import { fcmMessenger } from '../src/infra/fcm/fcm.messenger';
import { recordingMessaging } from '../test/support/recording-messaging';
import { functionsLogger } from '../src/infra/functions.logger';
import { firestoreRateLimiter } from '../src/infra/rate-limiter';
import { firebaseTokenVerifier, type TokenVerifier } from '../src/infra/token-verifier';
import { operations } from '../src/operations/registry';
import type { Runtime } from '../src/runtime';
import { benchSettings, countingMailer } from './support';
import { RATE_LIMITS } from '../src/storage/collections';

/**
 * The servers `bench/api.ts` measures, in a process of their own (so the load generator does not
 * share their event loop): the `api` function's Express app as production builds it, variants of
 * it with one part switched off (to price that part), and a bare Express handler doing the same
 * Firestore reads and writes. Each target has its own Firestore project on the same emulator,
 * seeded alike, so one target's writes never slow another's reads. Plain `node:http` servers, as
 * the functions framework serves the app in production.
 *
 * Standard output is discarded by the parent: the production logger writes one JSON line per
 * request there, as on Cloud Run.
 */

export type Variant = 'bare' | 'app' | 'no-limiter' | 'no-verify' | 'silent-log' | 'limited';

export interface TargetSpec {
  variant: Variant;
  projectId: string;
}

export interface ServerReady {
  ports: Record<string, number>;
}

/** Huge limits: the limiter does all its work (memory, Firestore publication) but never refuses. */
const UNLIMITED = 1_000_000_000;

/** The page of `GET /api/tasks` both targets answer (the app is asked for it with `limit`). */
export const BENCH_PAGE = 20;

/** The production defaults (RATE_LIMIT_*_PER_MINUTE), for the `limited` target. */
export const PRODUCTION_LIMITS = { userPerMinute: 120, ipPerMinute: 300, webhookPerMinute: 600 };

/**
 * When each rate-limit document was written, by path: the limiter's only writes. Wall-clock ms,
 * the clock the limiter itself spaces its writes by.
 */
const limiterWrites = new Map<string, number[]>();
// eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied to its own `this` below
const originalSet = DocumentReference.prototype.set;
DocumentReference.prototype.set = function (this: DocumentReference, ...args: unknown[]) {
  if (this.path.startsWith(`${RATE_LIMITS}/`)) {
    const at = limiterWrites.get(this.path) ?? [];
    at.push(Date.now());
    limiterWrites.set(this.path, at);
  }
  return (originalSet as (...a: unknown[]) => ReturnType<DocumentReference['set']>).apply(
    this,
    args,
  );
} as DocumentReference['set'];

/** The most writes any one rate-limit document took within one second, and the documents. */
export interface LimiterWrites {
  documents: number;
  writes: number;
  maxPerDocumentPerSecond: number;
  /** The shortest time between two writes of one document (ms). */
  minSpacingMs: number | null;
}

function limiterWriteStats(): LimiterWrites {
  let writes = 0;
  let max = 0;
  let minSpacingMs: number | null = null;
  for (const times of limiterWrites.values()) {
    writes += times.length;
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] ?? 0) - (times[i - 1] ?? 0);
      minSpacingMs = minSpacingMs === null ? gap : Math.min(minSpacingMs, gap);
    }
    let from = 0;
    for (let to = 0; to < times.length; to++) {
      while ((times[to] ?? 0) - (times[from] ?? 0) >= 1000) from++;
      max = Math.max(max, to - from + 1);
    }
  }
  return { documents: limiterWrites.size, writes, maxPerDocumentPerSecond: max, minSpacingMs };
}

/** The caller named by a token's payload, unverified: the bare handler's stand-in for auth. */
function decodedCaller(req: Request): Caller {
  const token = /^Bearer (\S+)$/.exec(req.header('authorization') ?? '')?.[1];
  const payload = token?.split('.')[1];
  if (payload === undefined) throw AppError.unauthenticated();
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    user_id: string;
    admin?: boolean;
    email?: string;
  };
  return { uid: claims.user_id, admin: claims.admin === true, email: claims.email };
}

const decodeOnly: TokenVerifier = {
  verify(idToken) {
    return Promise.resolve(
      decodedCaller({ header: () => `Bearer ${idToken}` } as unknown as Request),
    );
  },
};

/** What the app's health route reads: the probe, the job records and the sweep errors. */
function healthOptions(db: Firestore) {
  return {
    version: 'bench',
    slowMs: 1000,
    timeoutMs: 3000,
    jobs: () => readJobRecords(db),
    sweepErrors: () => readSweepErrors(db),
  };
}

function probesOf(db: Firestore) {
  return {
    firestore: async () => {
      await db.collection('_health').doc('probe').get();
    },
  };
}

/** Express with the JSON parser and three routes, calling the same domain functions. */
function bareApp(db: Firestore): express.Express {
  const app = express();
  app.use(express.json());
  app.get('/api/tasks', (req: Request, res: Response, next: NextFunction) => {
    listTasks(db, decodedCaller(req), {
      projectId: typeof req.query.projectId === 'string' ? req.query.projectId : '',
      includeDeleted: false,
      sort: 'createdAt',
      limit: BENCH_PAGE,
    }).then((page) => res.json(page), next);
  });
  app.post('/api/tasks', (req: Request, res: Response, next: NextFunction) => {
    const body = req.body as { projectId: string; title: string };
    createTask(db, systemClock, decodedCaller(req), body).then(
      (task) => res.status(201).json(task),
      next,
    );
  });
  app.get('/api/health', (_req: Request, res: Response, next: NextFunction) => {
    checkHealth(probesOf(db), systemClock, healthOptions(db)).then(
      (report) => res.json(report),
      next,
    );
  });
  return app;
}

function appOf(db: Firestore, variant: Variant, authProjectId: string): express.Express {
  const logger =
    variant === 'silent-log' ? silentLogger : functionsLogger({ service: 'taskflow-functions' });
  const auth = getAuth(initializeApp({ projectId: authProjectId }, `auth-${variant}`));
  const notifications = benchSettings(120);
  const runtime: Runtime = {
    deps: {
      db,
      clock: systemClock,
      messenger: fcmMessenger(recordingMessaging(), { clock: systemClock }),
      mailer: countingMailer(),
      notifications,
      accounts: firebaseAccounts(auth),
    },
    tokens: variant === 'no-verify' ? decodeOnly : firebaseTokenVerifier(auth),
    limiter:
      variant === 'no-limiter'
        ? { consume: () => Promise.resolve() }
        : firestoreRateLimiter(db, systemClock, logger),
    logger,
    config: {
      corsOrigins: ['http://localhost:5000', 'http://127.0.0.1:5000'],
      bodyLimitBytes: 100 * 1024,
      trustProxyHops: 1,
      rateLimit:
        variant === 'limited'
          ? PRODUCTION_LIMITS
          : { userPerMinute: UNLIMITED, ipPerMinute: UNLIMITED, webhookPerMinute: UNLIMITED },
      notifications,
    },
    probes: probesOf(db),
    version: 'bench',
  };
  return createApp(runtime, operations);
}

async function main(): Promise<void> {
  const targets = JSON.parse(process.env.BENCH_API_TARGETS ?? '[]') as TargetSpec[];
  const authProjectId = process.env.BENCH_API_AUTH_PROJECT ?? 'demo-taskflow';
  const servers: Server[] = [];
  const ports: Record<string, number> = {};
  for (const target of targets) {
    const db = getFirestore(initializeApp({ projectId: target.projectId }, target.projectId));
    db.settings({ ignoreUndefinedProperties: true });
    const handler =
      target.variant === 'bare' ? bareApp(db) : appOf(db, target.variant, authProjectId);
    const server = createServer(handler);
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    ports[target.variant] = (server.address() as AddressInfo).port;
  }
  process.send?.({ ports } satisfies ServerReady);
  // CPU time of this process between 'start' and 'stop' (µs), for per-request CPU figures.
  let since = process.cpuUsage();
  process.on('message', (m: { cpu?: 'start' | 'stop'; limiterWrites?: true }) => {
    if (m.limiterWrites === true) {
      process.send?.(limiterWriteStats());
    } else if (m.cpu === 'start') {
      since = process.cpuUsage();
      process.send?.({ started: true });
    } else if (m.cpu === 'stop') {
      process.send?.(process.cpuUsage(since));
    }
  });
  process.on('disconnect', () => {
    for (const s of servers) s.close();
    process.exit(0);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(
    `api bench server failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
});
