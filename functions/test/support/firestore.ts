import { randomUUID } from 'node:crypto';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';

export interface TestFirestore {
  db: Firestore;
  projectId: string;
  /** Deletes every document of this test project (between tests). */
  clear(): Promise<void>;
  /** Clears and closes (after the file). */
  dispose(): Promise<void>;
}

async function clearProject(projectId: string): Promise<void> {
  const control = process.env.TASKFLOW_FIRESTORE_CONTROL_URL;
  if (control === undefined) throw new Error('integration tests need the global setup');
  const res = await fetch(
    `${control}/emulator/v1/projects/${projectId}/databases/(default)/documents`,
    { method: 'DELETE' },
  );
  if (!res.ok) throw new Error(`clearing ${projectId} failed: ${res.status}`);
}

/**
 * A Firestore of its own for one test file: a fresh `demo-` project id on the shared emulator, so
 * files running in parallel never see each other's documents and nothing is left behind.
 */
export function createTestFirestore(
  projectId = `demo-it-${randomUUID().slice(0, 8)}`,
): TestFirestore {
  const app: App = initializeApp({ projectId }, projectId);
  const db = getFirestore(app);
  db.settings({ ignoreUndefinedProperties: true });
  return {
    db,
    projectId,
    clear: () => clearProject(projectId),
    async dispose() {
      await clearProject(projectId);
      await db.terminate();
      await deleteApp(app);
    },
  };
}
