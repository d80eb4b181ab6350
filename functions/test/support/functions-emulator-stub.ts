import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Firestore } from 'firebase-admin/firestore';

/**
 * A small HTTP stand-in for the Functions emulator, for tests of the local stack's trigger relay
 * (scripts/firestore-trigger-relay.cjs): it answers `/backends` with `onTaskWritten` and hands each
 * CloudEvent the relay POSTs to `onEvent`, which answers the HTTP status.
 */
export const TASK_TRIGGER_KEY = 'us-central1-onTaskWritten-0';

const taskTrigger = {
  id: 'us-central1-onTaskWritten',
  name: 'onTaskWritten',
  entryPoint: 'onTaskWritten',
  region: 'us-central1',
  platform: 'gcfv2',
  timeoutSeconds: 60,
  eventTrigger: {
    eventType: 'google.cloud.firestore.document.v1.written',
    eventFilters: { database: '(default)', namespace: '(default)' },
    eventFilterPathPatterns: { document: 'tasks/{taskId}' },
    retry: true,
  },
};

/** A binary-mode CloudEvent as firebase-functions decodes it: `ce-*` attributes and the body. */
export type CloudEventRequest = Record<string, unknown> & { id: string; data: Buffer };

export function cloudEventOf(headers: http.IncomingHttpHeaders, body: string): CloudEventRequest {
  const attributes = Object.fromEntries(
    Object.entries(headers)
      .filter(([k]) => k.startsWith('ce-'))
      .map(([k, v]) => [k.slice(3), v]),
  );
  return { ...attributes, id: String(attributes.id), data: Buffer.from(body, 'base64') };
}

export interface FunctionsEmulatorStub {
  /** host:port, the relay's `functionsHost`. */
  host: string;
  close(): Promise<void>;
}

export async function startFunctionsEmulatorStub(
  onEvent: (headers: http.IncomingHttpHeaders, body: string) => Promise<number>,
): Promise<FunctionsEmulatorStub> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/backends') {
        res.end(JSON.stringify({ backends: [{ functionTriggers: [taskTrigger] }] }));
        return;
      }
      if (!(req.url ?? '').endsWith(`/triggers/${TASK_TRIGGER_KEY}`)) {
        res
          .writeHead(404)
          .end(`Function x does not exist, valid functions are: ${TASK_TRIGGER_KEY}`);
        return;
      }
      onEvent(req.headers, Buffer.concat(chunks).toString('utf8')).then(
        (status) => res.writeHead(status).end(),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS script
export const { relay } = require('../../scripts/firestore-trigger-relay.cjs') as {
  relay: (
    db: Firestore,
    o: { projectId: string; functionsHost: string; log?: (line: string) => void },
  ) => { sync: () => Promise<{ name: string; document: string }[]>; stop: () => void };
};
