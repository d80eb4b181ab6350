import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deleteApp, initializeApp, type App } from 'firebase-admin/app';
import { getFunctions } from 'firebase-admin/functions';
import type { DigestJob } from '../../src/domain/digests/digest.schema';
import { digestIntentKey, digestTaskId } from '../../src/domain/digests/digest-sweep.service';
import { cloudTasksDigestQueue, inlineDigestQueue } from '../../src/infra/tasks/digest.queues';
import { recordingDigestQueue } from '../support/recording-queues';

/**
 * The adapters of the sweep's queue port. The Cloud Tasks adapter runs the real firebase-admin
 * `TaskQueue` against a local HTTP sink standing in for Cloud Tasks (its emulator endpoint,
 * `CLOUD_TASKS_EMULATOR_HOST`), which answers 409 ALREADY_EXISTS for a task name it has seen.
 */

const job: DigestJob = { uid: 'ann', period: 'daily', localDate: '2026-03-09' };

describe('digest task ids', () => {
  it('are a hash of the idempotency key: same digest, same id; Cloud Tasks charset', () => {
    expect(digestIntentKey(job)).toBe('digest:daily:ann:2026-03-09');
    expect(digestIntentKey({ ...job, period: 'weekly' })).toBe('digest:weekly:ann:2026-W11');
    expect(digestTaskId(job)).toMatch(/^[0-9a-f]{40}$/);
    expect(digestTaskId({ ...job })).toBe(digestTaskId(job));
    expect(digestTaskId({ ...job, localDate: '2026-03-10' })).not.toBe(digestTaskId(job));
    // Every weekday of one ISO week is the same weekly digest.
    expect(digestTaskId({ ...job, period: 'weekly', localDate: '2026-03-13' })).toBe(
      digestTaskId({ ...job, period: 'weekly' }),
    );
  });
});

describe('cloudTasksDigestQueue (firebase-admin TaskQueue → Cloud Tasks API)', () => {
  interface Received {
    url: string;
    task: { name?: string; httpRequest: { body: string; url: string } };
  }
  const received: Received[] = [];
  const names = new Set<string>();
  let failNext = false;
  let server: Server;
  let app: App;
  const previousHost = process.env.CLOUD_TASKS_EMULATOR_HOST;

  const body = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        resolve(text);
      });
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      void body(req).then((text) => {
        const { task } = JSON.parse(text) as { task: Received['task'] };
        received.push({ url: req.url ?? '', task });
        res.setHeader('content-type', 'application/json');
        if (failNext) {
          failNext = false;
          // 500, not 503: firebase-admin itself retries a 503 up to 4 times before giving up.
          res.statusCode = 500;
          res.end(JSON.stringify({ error: { status: 'INTERNAL', message: 'try later' } }));
          return;
        }
        if (task.name !== undefined && names.has(task.name)) {
          res.statusCode = 409;
          res.end(JSON.stringify({ error: { status: 'ALREADY_EXISTS', message: 'exists' } }));
          return;
        }
        if (task.name !== undefined) names.add(task.name);
        res.end(JSON.stringify(task));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.CLOUD_TASKS_EMULATOR_HOST = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    app = initializeApp(
      { projectId: 'demo-digests', serviceAccountId: 'functions@demo-digests.iam.test' },
      'digest-queue-test',
    );
  });

  afterAll(async () => {
    if (previousHost === undefined) delete process.env.CLOUD_TASKS_EMULATOR_HOST;
    else process.env.CLOUD_TASKS_EMULATOR_HOST = previousHost;
    await deleteApp(app);
    await new Promise((resolve) => server.close(resolve));
  });

  const queue = () =>
    cloudTasksDigestQueue(
      getFunctions(app).taskQueue('locations/us-central1/functions/sendDigest'),
      { dispatchDeadlineSeconds: 300 },
    );

  it('enqueues the job as the task body under its deterministic task name', async () => {
    const id = digestTaskId(job);
    await expect(queue().enqueue(job, { id })).resolves.toBe('enqueued');
    const [first] = received;
    expect(first?.url).toBe('/projects/demo-digests/locations/us-central1/queues/sendDigest/tasks');
    expect(first?.task.name).toBe(
      `projects/demo-digests/locations/us-central1/queues/sendDigest/tasks/${id}`,
    );
    const payload = JSON.parse(
      Buffer.from(first?.task.httpRequest.body ?? '', 'base64').toString(),
    );
    expect(payload).toEqual({ data: job });
  });

  it('a task id Cloud Tasks already has (409) is an enqueued duplicate, not an error', async () => {
    const id = digestTaskId(job);
    await expect(queue().enqueue(job, { id })).resolves.toBe('duplicate');
    expect(received).toHaveLength(2);
  });

  it('any other failure is thrown (the sweep leaves the schedule due and retries)', async () => {
    failNext = true;
    const other = { ...job, uid: 'bob' };
    await expect(queue().enqueue(other, { id: digestTaskId(other) })).rejects.toThrow('try later');
    // The retry goes through.
    await expect(queue().enqueue(other, { id: digestTaskId(other) })).resolves.toBe('enqueued');
  });
});

describe('inlineDigestQueue (local stack without the Cloud Tasks emulator)', () => {
  it('keeps each id once and runs the jobs on drain, reporting failures', async () => {
    const ran: DigestJob[] = [];
    const errors: string[] = [];
    const queue = inlineDigestQueue(
      (j) => {
        ran.push(j);
        return j.uid === 'bad' ? Promise.reject(new Error('boom')) : Promise.resolve();
      },
      { onError: (j, e) => errors.push(`${j.uid}: ${(e as Error).message}`) },
    );
    const bad = { ...job, uid: 'bad' };
    await expect(queue.enqueue(job, { id: digestTaskId(job) })).resolves.toBe('enqueued');
    await expect(queue.enqueue(job, { id: digestTaskId(job) })).resolves.toBe('duplicate');
    await queue.enqueue(bad, { id: digestTaskId(bad) });
    expect(ran).toEqual([]);
    await expect(queue.drain()).resolves.toEqual({ ran: 2, failed: 1 });
    expect(ran).toEqual([job, bad]);
    expect(errors).toEqual(['bad: boom']);
    await expect(queue.drain()).resolves.toEqual({ ran: 0, failed: 0 });
  });
});

describe('recordingDigestQueue', () => {
  it('de-duplicates ids like Cloud Tasks, or accepts every call with dedupe off', async () => {
    const q = recordingDigestQueue();
    await q.enqueue(job, { id: 'a' });
    await expect(q.enqueue(job, { id: 'a' })).resolves.toBe('duplicate');
    expect(q.duplicates).toBe(1);
    expect(q.take()).toEqual([job]);
    expect(q.take()).toEqual([]);
    const open = recordingDigestQueue({ dedupe: false });
    await open.enqueue(job, { id: 'a' });
    await open.enqueue(job, { id: 'a' });
    expect(open.take()).toEqual([job, job]);
  });
});
