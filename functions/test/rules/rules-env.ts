import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  initializeTestEnvironment,
  type RulesTestContext,
  type RulesTestEnvironment,
} from '@firebase/rules-unit-testing';
import { setLogLevel } from 'firebase/firestore';

// Denied requests are what these tests expect: keep the SDK from logging each one as a warning.
setLogLevel('error');

/** The project the rules tests load the rules into (CI starts the emulator with it). */
export const RULES_PROJECT_ID = 'demo-taskflow-rules';

/** The rules file that `firebase deploy --only firestore` deploys (firebase.json). */
export const RULES_PATH = path.resolve(__dirname, '../../../firestore.rules');

/** The client (Web SDK) Firestore of a test context: what the Flutter app's SDK is to the rules. */
export type ClientDb = ReturnType<RulesTestContext['firestore']>;

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
export async function seed(
  env: RulesTestEnvironment,
  docs: Record<string, Record<string, unknown>>,
): Promise<void> {
  await env.withSecurityRulesDisabled(async (ctx) => {
    const db = ctx.firestore();
    await Promise.all(Object.entries(docs).map(([docPath, data]) => db.doc(docPath).set(data)));
  });
}
