import { freePort } from './ports';
import { startAuthEmulator, AUTH_PROJECT_ID } from './auth-emulator';

interface Stoppable {
  stop: () => Promise<void>;
}

declare global {
  var __TASKFLOW_EMULATORS__: Stoppable[] | undefined;
}

/**
 * Starts what the integration tests talk to, unless it is already there:
 * - Firestore: the emulator named by FIRESTORE_EMULATOR_HOST (e.g. the official one under
 *   `firebase emulators:exec`), else the embedded @firestore-emulator/server on a free port;
 * - Auth: the emulator named by FIREBASE_AUTH_EMULATOR_HOST, else firebase-tools' Auth emulator.
 * Child test workers inherit the environment set here.
 */
export default async function globalSetup(): Promise<void> {
  const running: Stoppable[] = [];
  globalThis.__TASKFLOW_EMULATORS__ = running;
  process.env.GCLOUD_PROJECT ??= AUTH_PROJECT_ID;
  // No GCE metadata server here: stop google-auth-library from probing for one.
  process.env.METADATA_SERVER_DETECTION ??= 'none';

  const givenFirestore = process.env.FIRESTORE_EMULATOR_HOST;
  if (givenFirestore !== undefined && givenFirestore !== '') {
    process.env.TASKFLOW_FIRESTORE_CONTROL_URL ??= `http://${givenFirestore}`;
    process.stdout.write(`\nFirestore: using the emulator at ${givenFirestore}\n`);
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startEmbeddedFirestore } = require('../../scripts/embedded-firestore.cjs') as {
      startEmbeddedFirestore: (o: {
        port: number;
        controlPort: number;
      }) => Promise<Stoppable & { host: string; controlUrl: string }>;
    };
    const server = await startEmbeddedFirestore({
      port: await freePort(),
      controlPort: await freePort(),
    });
    running.push(server);
    process.env.FIRESTORE_EMULATOR_HOST = server.host;
    process.env.TASKFLOW_FIRESTORE_CONTROL_URL = server.controlUrl;
    process.env.TASKFLOW_FIRESTORE_EMBEDDED = '1';
    process.stdout.write(
      `\nFirestore: embedded @firestore-emulator/server at ${server.host} (FIRESTORE_EMULATOR_HOST unset)\n`,
    );
  }

  const givenAuth = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  if (givenAuth !== undefined && givenAuth !== '') {
    process.stdout.write(`Auth: using the emulator at ${givenAuth}\n`);
  } else {
    const auth = await startAuthEmulator();
    running.push(auth);
    process.env.FIREBASE_AUTH_EMULATOR_HOST = auth.host;
    process.stdout.write(`Auth: firebase-tools Auth emulator at ${auth.host}\n`);
  }
}
