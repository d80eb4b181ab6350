import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForHttp } from './ports';

export const AUTH_PROJECT_ID = 'demo-taskflow';

export interface RunningEmulator {
  host: string;
  stop(): Promise<void>;
}

/**
 * Starts the Auth emulator of firebase-tools (pure Node, no Java) on free ports, in a scratch
 * directory so it never collides with a running local stack or writes logs into the repo. Its ID
 * tokens are minted for `projectId` (their audience).
 */
export async function startAuthEmulator(projectId = AUTH_PROJECT_ID): Promise<RunningEmulator> {
  const [auth, hub, logging] = await Promise.all([freePort(), freePort(), freePort()]);
  const dir = mkdtempSync(path.join(tmpdir(), 'taskflow-auth-'));
  writeFileSync(
    path.join(dir, 'firebase.json'),
    JSON.stringify({
      emulators: {
        auth: { host: '127.0.0.1', port: auth },
        hub: { host: '127.0.0.1', port: hub },
        logging: { host: '127.0.0.1', port: logging },
        ui: { enabled: false },
        singleProjectMode: true,
      },
    }),
  );
  const cli = require.resolve('firebase-tools/lib/bin/firebase.js');
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, 'emulators:start', '--only', 'auth', '--project', projectId],
    {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_UPDATE_NOTIFIER: '1', FIREBASE_CLI_DISABLE_UPDATE_CHECK: 'true' },
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => {
      reject(new Error(`Auth emulator exited (${code}) before it was ready:\n${output}`));
    }),
  );
  const host = `127.0.0.1:${auth}`;
  await Promise.race([waitForHttp(`http://${host}/`, 180_000), exited]);
  exited.catch(() => undefined);
  return {
    host,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        const state = { exited: false };
        const done = new Promise((r) => child.once('exit', r)).then(() => (state.exited = true));
        process.kill(-child.pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 5000)))]);
        clearTimeout(timer);
        if (!state.exited) process.kill(-child.pid, 'SIGKILL');
      }
      try {
        // Keep the emulator's debug log only if it says something went wrong.
        if (/error/i.test(readFileSync(path.join(dir, 'firebase-debug.log'), 'utf8'))) return;
      } catch {
        /* no log written */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
