/**
 * The local stack's glue to the Functions emulator (scripts/local-functions.cjs) and the trigger
 * relay of the embedded Firestore (scripts/firestore-trigger-relay.cjs). What they mimic is checked
 * against the installed firebase-tools and firebase-functions themselves: the registration body
 * firebase-tools sends the Firestore emulator, the "valid functions are" answer the trigger keys
 * are read from, and the CloudEvent decoding of onDocumentWritten.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onDocumentWritten } from 'firebase-functions/firestore';

/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS scripts and internals */
const local = require('../../scripts/local-functions.cjs') as {
  scheduleMatcher: (schedule: string, timeZone?: string) => ((d: Date) => boolean) | undefined;
  newestKey: (keys: string[], id: string) => string | undefined;
  firestoreRegistration: (
    projectId: string,
    key: string,
    def: unknown,
    pattern?: string,
  ) => { method: string; path: string; body: unknown };
  triggerKeys: (functionsHost: string, projectId: string) => Promise<string[]>;
  firestoreTriggerSync: (o: {
    functionsHost: string;
    firestoreHost: string;
    projectId: string;
  }) => { sync: () => Promise<{ triggers: number; changed: number }> };
  scheduledFunctions: (
    functionsHost: string,
    projectId: string,
  ) => Promise<{ name: string; key: string; schedule: string }[]>;
  invokeScheduled: (
    functionsHost: string,
    projectId: string,
    fn: unknown,
    at: Date,
  ) => Promise<{ status: number }>;
};
const relay = require('../../scripts/firestore-trigger-relay.cjs') as {
  cloudEventRequest: (o: {
    projectId: string;
    def: unknown;
    docPath: string;
    change: 'created' | 'updated' | 'deleted';
    before: unknown;
    after: unknown;
  }) => { id: string; headers: Record<string, string>; body: string };
};
const { FunctionsEmulator } = require('firebase-tools/lib/emulator/functionsEmulator') as {
  FunctionsEmulator: { prototype: object };
};
/* eslint-enable @typescript-eslint/no-require-imports */

interface RealEmulator {
  triggers: Record<string, unknown>;
  getV2FirestoreAttributes: (
    p: string,
    key: string,
    t: unknown,
  ) => { bundle: string; path: string };
  handleHttpsTrigger: (
    req: { method: string; params: Record<string, string> },
    res: { status: (c: number) => { send: (b: string) => void } },
  ) => Promise<void>;
}
/** firebase-tools' own FunctionsEmulator, without starting anything: only pure methods run. */
const realEmulator = () => Object.create(FunctionsEmulator.prototype) as RealEmulator;

const PROJECT = 'demo-local-stack';
const taskTrigger = {
  id: 'us-central1-onTaskWritten',
  name: 'onTaskWritten',
  entryPoint: 'onTaskWritten',
  region: 'us-central1',
  platform: 'gcfv2',
  eventTrigger: {
    eventType: 'google.cloud.firestore.document.v1.written',
    eventFilters: { database: '(default)', namespace: '(default)' },
    eventFilterPathPatterns: { document: 'tasks/{taskId}' },
    retry: true,
  },
};
const scheduled = {
  id: 'us-central1-releaseDeliveries',
  name: 'releaseDeliveries',
  entryPoint: 'releaseDeliveries',
  region: 'us-central1',
  platform: 'gcfv2',
  timeoutSeconds: 120,
  eventTrigger: { eventType: 'pubsub', resource: '' },
  schedule: { schedule: 'every 1 minutes' },
};

type Handler = (
  req: http.IncomingMessage,
  body: string,
  res: http.ServerResponse,
) => void | Promise<void>;

async function server(handler: Handler): Promise<{ host: string; close: () => Promise<void> }> {
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        s.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * A Functions emulator stand-in: `GET /backends` lists `defs`, and an unknown trigger gets the
 * real firebase-tools 404 answer naming `keys`; known keys are recorded and answered 200.
 */
async function fakeFunctionsEmulator(state: { defs: unknown[]; keys: string[] }) {
  const calls: { key: string; headers: http.IncomingHttpHeaders }[] = [];
  const s = await server(async (req, _body, res) => {
    if (req.method === 'GET' && req.url === '/backends') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ backends: [{ functionTriggers: state.defs }] }));
      return;
    }
    const key = decodeURIComponent(/\/triggers\/(.+)$/.exec(req.url ?? '')?.[1] ?? '');
    if (state.keys.includes(key)) {
      calls.push({ key, headers: req.headers });
      res.end('{}');
      return;
    }
    const real = realEmulator();
    real.triggers = Object.fromEntries(state.keys.map((k) => [k, {}]));
    await real.handleHttpsTrigger(
      { method: req.method ?? 'POST', params: { trigger_name: key } },
      { status: (code) => ({ send: (text) => res.writeHead(code).end(text) }) },
    );
  });
  return { ...s, calls };
}

describe('scheduleMatcher (Cloud Scheduler schedules, per minute)', () => {
  const at = (iso: string) => new Date(iso);

  it('ticks "every N minutes" at multiples of N from midnight and only then', () => {
    const every15 = local.scheduleMatcher('every 15 minutes')!;
    expect(every15(at('2026-03-09T10:15:00Z'))).toBe(true);
    expect(every15(at('2026-03-09T10:16:00Z'))).toBe(false);
    expect(local.scheduleMatcher('every 1 minutes')!(at('2026-03-09T10:16:40Z'))).toBe(true);
    expect(local.scheduleMatcher('every 2 hours')!(at('2026-03-09T08:00:00Z'))).toBe(true);
    expect(local.scheduleMatcher('every 2 hours')!(at('2026-03-09T09:00:00Z'))).toBe(false);
  });

  it('ticks "every day HH:MM" and weekday forms in the schedule time zone', () => {
    const daily = local.scheduleMatcher('every day 03:30', 'UTC')!;
    expect(daily(at('2026-03-09T03:30:00Z'))).toBe(true);
    expect(daily(at('2026-03-09T03:31:00Z'))).toBe(false);
    const monday = local.scheduleMatcher('every monday 09:00', 'Europe/Berlin')!;
    expect(monday(at('2026-03-09T08:00:00Z'))).toBe(true); // 09:00 CET, a Monday
    expect(monday(at('2026-03-10T08:00:00Z'))).toBe(false);
  });

  it('evaluates unix cron in the time zone (09:00 Berlin on weekdays, across DST)', () => {
    const cron = local.scheduleMatcher('0 9 * * 1-5', 'Europe/Berlin')!;
    expect(cron(at('2026-03-27T08:00:00Z'))).toBe(true); // Friday, CET (UTC+1)
    expect(cron(at('2026-03-28T08:00:00Z'))).toBe(false); // Saturday
    expect(cron(at('2026-03-30T07:00:00Z'))).toBe(true); // Monday, CEST (UTC+2)
    expect(cron(at('2026-03-30T08:00:00Z'))).toBe(false);
  });

  it('declines forms it cannot tick exactly, so they are reported instead of mis-ticked', () => {
    expect(local.scheduleMatcher('every 90 minutes')).toBeUndefined();
    expect(local.scheduleMatcher('every 30 minutes from 10:00 to 14:00')).toBeUndefined();
    expect(local.scheduleMatcher('1st monday of month 09:00')).toBeUndefined();
    expect(local.scheduleMatcher('61 * * * *')).toBeUndefined();
  });
});

describe('trigger keys', () => {
  it('picks the highest generation of a function, never another function with the same prefix', () => {
    const keys = [
      'us-central1-onTaskWritten-0',
      'us-central1-onTaskWritten-2',
      'us-central1-onTaskWrittenV2-5',
    ];
    expect(local.newestKey(keys, 'us-central1-onTaskWritten')).toBe('us-central1-onTaskWritten-2');
    expect(local.newestKey(keys, 'us-central1-api')).toBeUndefined();
    expect(local.newestKey(['us-central1-api'], 'us-central1-api')).toBe('us-central1-api');
  });

  it("reads every key from firebase-tools' own not-found answer", async () => {
    const fx = await fakeFunctionsEmulator({
      defs: [],
      keys: ['us-central1-api', 'us-central1-onTaskWritten-0', 'us-central1-releaseDeliveries-0'],
    });
    try {
      await expect(local.triggerKeys(fx.host, PROJECT)).resolves.toEqual([
        'us-central1-api',
        'us-central1-onTaskWritten-0',
        'us-central1-releaseDeliveries-0',
      ]);
    } finally {
      await fx.close();
    }
  });
});

describe('Firestore trigger registration (gcloud emulator)', () => {
  it('sends exactly the registration firebase-tools sends for a v2 trigger', () => {
    const key = 'us-central1-onTaskWritten-0';
    const ours = local.firestoreRegistration(PROJECT, key, taskTrigger);
    const theirs = realEmulator().getV2FirestoreAttributes(PROJECT, key, taskTrigger.eventTrigger);
    expect(ours.method).toBe('POST');
    expect(ours.path).toBe(theirs.path);
    expect(ours.body).toEqual(JSON.parse(theirs.bundle));
  });

  it('registers once, re-registers on a new key and points the old key at nothing', async () => {
    const state = {
      defs: [taskTrigger, scheduled] as unknown[],
      keys: ['us-central1-onTaskWritten-0'],
    };
    const fx = await fakeFunctionsEmulator(state);
    const registrations: { path: string; body: { document: { value: string } } }[] = [];
    const fs = await server((req, body, res) => {
      registrations.push({ path: req.url ?? '', body: JSON.parse(body) as never });
      res.end(body);
    });
    try {
      const sync = local.firestoreTriggerSync({
        functionsHost: fx.host,
        firestoreHost: fs.host,
        projectId: PROJECT,
      });
      await expect(sync.sync()).resolves.toEqual({ triggers: 1, changed: 1 });
      await expect(sync.sync()).resolves.toEqual({ triggers: 1, changed: 0 });
      expect(registrations).toHaveLength(1);

      // A rebuild changed the trigger: the emulator keeps the old record and adds generation 2.
      const changed = {
        ...taskTrigger,
        eventTrigger: { ...taskTrigger.eventTrigger, retry: false },
      };
      state.defs = [taskTrigger, changed, scheduled];
      state.keys = ['us-central1-onTaskWritten-0', 'us-central1-onTaskWritten-2'];
      await expect(sync.sync()).resolves.toEqual({ triggers: 1, changed: 1 });
      expect(registrations.slice(1).map((r) => [r.path, r.body.document.value])).toEqual([
        [
          `/emulator/v1/projects/${PROJECT}/eventarcTrigger?eventarcTriggerId=us-central1-onTaskWritten-0`,
          '__taskflow_retired__/{id}',
        ],
        [
          `/emulator/v1/projects/${PROJECT}/eventarcTrigger?eventarcTriggerId=us-central1-onTaskWritten-2`,
          'tasks/{taskId}',
        ],
      ]);
    } finally {
      await fx.close();
      await fs.close();
    }
  });
});

describe('scheduled functions', () => {
  it('are invoked under their current key with the Cloud Scheduler headers', async () => {
    const fx = await fakeFunctionsEmulator({
      defs: [taskTrigger, scheduled],
      keys: ['us-central1-onTaskWritten-0', 'us-central1-releaseDeliveries-3'],
    });
    try {
      const fns = await local.scheduledFunctions(fx.host, PROJECT);
      expect(fns.map((f) => [f.name, f.key, f.schedule])).toEqual([
        ['releaseDeliveries', 'us-central1-releaseDeliveries-3', 'every 1 minutes'],
      ]);
      const at = new Date('2026-03-09T10:16:00Z');
      await expect(local.invokeScheduled(fx.host, PROJECT, fns[0], at)).resolves.toMatchObject({
        status: 200,
      });
      expect(fx.calls).toHaveLength(1);
      expect(fx.calls[0]!.key).toBe('us-central1-releaseDeliveries-3');
      expect(fx.calls[0]!.headers['x-cloudscheduler-scheduletime']).toBe(at.toISOString());
      expect(fx.calls[0]!.headers['x-cloudscheduler-jobname']).toBe(
        'firebase-schedule-releaseDeliveries-us-central1',
      );
    } finally {
      await fx.close();
    }
  });
});

describe('relayed CloudEvents (embedded Firestore)', () => {
  // As in the Functions emulator's runtime: firebase-functions builds the snapshots with the
  // default firebase-admin app, which it initialises for this project (never contacted here).
  const saved = process.env.FIREBASE_CONFIG;
  beforeAll(() => {
    process.env.FIREBASE_CONFIG = JSON.stringify({ projectId: PROJECT });
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.FIREBASE_CONFIG;
    else process.env.FIREBASE_CONFIG = saved;
  });
  const name = (id: string) => `projects/${PROJECT}/databases/(default)/documents/tasks/${id}`;
  const before = {
    name: name('t1'),
    fields: {
      title: { stringValue: 'Plan', valueType: 'stringValue' },
      assigneeId: { nullValue: 'NULL_VALUE', valueType: 'nullValue' },
      count: { integerValue: '3', valueType: 'integerValue' },
    },
    createTime: { seconds: 1_700_000_000, nanos: 0 },
    updateTime: { seconds: 1_700_000_000, nanos: 0 },
  };
  const after = {
    ...before,
    fields: {
      ...before.fields,
      assigneeId: { stringValue: 'demo-bob', valueType: 'stringValue' },
      dueDate: {
        timestampValue: { seconds: '1700086400', nanos: 500 },
        valueType: 'timestampValue',
      },
    },
    updateTime: { seconds: 1_700_000_100, nanos: 250_000_000 },
  };

  /** What the Functions emulator's runtime hands the function: ce-* attributes + decoded data. */
  function asRuntimeEvent({ headers, body }: { headers: Record<string, string>; body: string }) {
    const attributes = Object.fromEntries(
      Object.entries(headers)
        .filter(([k]) => k.startsWith('ce-'))
        .map(([k, v]) => [k.slice(3), v]),
    );
    return { ...attributes, data: Buffer.from(body, 'base64') };
  }

  it('decode in firebase-functions to the same before/after/params as the real emulator', async () => {
    const req = relay.cloudEventRequest({
      projectId: PROJECT,
      def: taskTrigger,
      docPath: 'tasks/t1',
      change: 'updated',
      before,
      after,
    });
    let seen: unknown;
    const fn = onDocumentWritten('tasks/{taskId}', (event) => {
      seen = {
        id: event.id,
        params: event.params,
        before: event.data?.before.data(),
        after: event.data?.after.data(),
        due: event.data?.after.get('dueDate')?.toMillis(),
      };
    });
    await (fn as unknown as (e: unknown) => Promise<void>)(asRuntimeEvent(req));
    expect(seen).toEqual({
      id: req.id,
      params: { taskId: 't1' },
      before: { title: 'Plan', assigneeId: null, count: 3 },
      after: { title: 'Plan', assigneeId: 'demo-bob', count: 3, dueDate: expect.anything() },
      due: 1_700_086_400_000,
    });
    expect(req.headers['content-type']).toBe('application/protobuf');
  });

  it('give a change one stable id (a redelivery is recognisable) and each change its own', () => {
    const base = { projectId: PROJECT, def: taskTrigger, docPath: 'tasks/t1' };
    const update = relay.cloudEventRequest({ ...base, change: 'updated', before, after });
    const again = relay.cloudEventRequest({ ...base, change: 'updated', before, after });
    const deletion = relay.cloudEventRequest({
      ...base,
      change: 'deleted',
      before: after,
      after: null,
    });
    expect(again.id).toBe(update.id);
    expect(deletion.id).not.toBe(update.id);
    expect(update.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
