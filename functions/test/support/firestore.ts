import { randomUUID } from 'node:crypto';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';

export interface TestFirestore {
  db: Firestore;
  projectId: string;
  /** Deletes every document of this test project (between tests). */
  clear(): Promise<void>;
  /** Every document of the project (paths and fields), to compare before and after a request. */
  dump(): Promise<unknown>;
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

/** Walks every collection (the official emulator has ListCollectionIds; the embedded one not). */
async function walk(db: Firestore): Promise<Record<string, unknown>> {
  const all: Record<string, unknown> = {};
  const visit = async (cols: FirebaseFirestore.CollectionReference[]): Promise<void> => {
    for (const col of cols) {
      for (const d of (await col.get()).docs) {
        all[d.ref.path] = d.data();
        await visit(await d.ref.listCollections());
      }
    }
  };
  await visit(await db.listCollections());
  return all;
}

async function dumpProject(projectId: string, db: Firestore): Promise<unknown> {
  const control = process.env.TASKFLOW_FIRESTORE_CONTROL_URL;
  if (control === undefined) throw new Error('integration tests need the global setup');
  if (process.env.TASKFLOW_FIRESTORE_EMBEDDED !== '1') return walk(db);
  const res = await fetch(
    `${control}/emulator/v1/projects/${projectId}/databases/(default)/documents`,
  );
  if (!res.ok) throw new Error(`dumping ${projectId} failed: ${res.status}`);
  return res.json();
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
    dump: () => dumpProject(projectId, db),
    async dispose() {
      await clearProject(projectId);
      await db.terminate();
      await deleteApp(app);
    },
  };
}
