import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
  type TokenOptions,
} from '@firebase/rules-unit-testing';
import { setLogLevel, Timestamp } from 'firebase/firestore';

// Denied requests are what these tests expect: keep the SDK from logging each one as a warning.
setLogLevel('error');

/** The project the rules tests load the rules into (CI starts the emulator with it). */
export const RULES_PROJECT_ID = 'demo-taskflow-rules';

/** The rules file that `firebase deploy --only firestore` deploys (firebase.json). */
export const RULES_PATH = path.resolve(__dirname, '../../../firestore.rules');

/** The client (Web SDK) Firestore of a test context: what the Flutter app's SDK is to the rules. */
export type ClientDb = ReturnType<RulesTestContext['firestore']>;

/** Documents keyed by path. */
export type Docs = Record<string, Record<string, unknown>>;

/** An instant in the past, as stored by the server: never equal to `request.time`. */
export const PAST = Timestamp.fromDate(new Date('2025-01-01T08:00:00Z'));

/** A timestamp from the client's own clock: a valid Timestamp, but not `request.time`. */
export function clientNow(): Timestamp {
  return Timestamp.fromDate(new Date());
}

/** A string of `n` characters. */
export function chars(n: number, c = 'x'): string {
  return c.repeat(n);
}

/** A copy of `data` without `key`. */
export function without(data: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([k]) => k !== key));
}

/**
 * Connects to the official Firestore emulator named by FIRESTORE_EMULATOR_HOST (or found through
 * the emulator hub under `firebase emulators:exec`) and loads firestore.rules into it.
 */
export function startRulesEnv(): Promise<RulesTestEnvironment> {
  return initializeTestEnvironment({
    projectId: RULES_PROJECT_ID,
    firestore: { rules: readFileSync(RULES_PATH, 'utf8') },
  });
}

/** Writes documents as the server would (rules bypassed), keyed by document path. */
export async function seed(env: RulesTestEnvironment, docs: Docs): Promise<void> {
  await env.withSecurityRulesDisabled(async (ctx) => {
    const db = ctx.firestore();
    await Promise.all(Object.entries(docs).map(([docPath, data]) => db.doc(docPath).set(data)));
  });
}

/** What a test file works with; see {@link useRulesEnv}. */
export interface RulesSuite {
  /** The client Firestore of a signed-in user; `token` adds claims such as `email`. */
  as(uid: string, token?: TokenOptions): ClientDb;
  /** The client Firestore of a client that is not signed in. */
  anonymous(): ClientDb;
  /** Writes more documents, rules bypassed (on top of the file's seed). */
  seed(docs: Docs): Promise<void>;
}

/**
 * Registers the jest hooks of a rules test file: loads the rules once, and before each test clears
 * the emulator project and writes `docs()` as the server would.
 */
export function useRulesEnv(docs: () => Docs): RulesSuite {
  let env: RulesTestEnvironment | undefined;
  const current = (): RulesTestEnvironment => {
    if (env === undefined) throw new Error('the rules test environment is not started');
    return env;
  };

  beforeAll(async () => {
    env = await startRulesEnv();
  });

  beforeEach(async () => {
    await current().clearFirestore();
    await seed(current(), docs());
  });

  afterAll(async () => {
    if (env === undefined) return;
    await env.clearFirestore();
    await env.cleanup();
  });

  return {
    as: (uid, token) => current().authenticatedContext(uid, token).firestore(),
    anonymous: () => current().unauthenticatedContext().firestore(),
    seed: (more) => seed(current(), more),
  };
}
