import { formatInTimeZone } from 'date-fns-tz';
import { Timestamp } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import { AppError } from '../../src/core/errors';
import type { Caller } from '../../src/core/operation';
import type { DispatchReport } from '../../src/domain/scheduling/dispatch-policy';
import { dispatchDueJobs, runJobNow } from '../../src/domain/scheduling/dispatcher.service';
import { customNotificationRunner } from '../../src/domain/scheduling/job-runners.service';
import type { JobRunDoc, ScheduledJobDoc } from '../../src/domain/scheduling/job.schema';
import { createJob } from '../../src/domain/scheduling/job.service';
import {
  PermanentJobError,
  type JobContext,
  type JobNotifier,
  type JobRunners,
} from '../../src/domain/scheduling/runner';
import { createTestFirestore } from '../support/firestore';
import { recordingLogger } from '../support/runtime';

const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T07:00:00Z');
const admin: Caller = { uid: 'admin-1', admin: true };
const deps = { db: fs.db, clock };
const MINUTE = 60_000;

beforeEach(() => {
  clock.set('2026-11-23T07:00:00Z'); // Monday, 08:00 in Berlin
});
afterEach(() => fs.clear());
afterAll(() => fs.dispose());

/** A runner that records each call and behaves as `behaviour` says for call n (1-based). */
function recordingRunners(behaviour: (call: number) => void = () => undefined) {
  const calls: JobContext[] = [];
  const runners: JobRunners = {
    custom_notification: async (ctx) => {
      calls.push(ctx);
      // A Firestore round trip inside the run, so racing dispatchers really interleave.
      await ctx.deps.db.collection('scheduledJobs').doc(ctx.job.id).get();
      behaviour(calls.length);
      return { itemsActedOn: 1, documentsRead: 1 };
    },
  };
  return { calls, runners };
}

const PARAMS = { title: 'Standup', body: 'Now', target: { userIds: ['u1'] } };

async function newJob(schedule: string, timezone = 'Europe/Berlin', id = 'job-1'): Promise<string> {
  const job = await createJob(fs.db, clock, admin, {
    id,
    taskType: 'custom_notification',
    schedule,
    parameters: PARAMS,
    description: 'test job',
    timezone,
    enabled: true,
  });
  return job.taskId;
}

const jobDoc = async (id: string) =>
  (await fs.db.doc(`scheduledJobs/${id}`).get()).data() as ScheduledJobDoc;

async function runsOf(id: string): Promise<(JobRunDoc & { id: string })[]> {
  const snap = await fs.db.collection(`scheduledJobs/${id}/runs`).get();
  return snap.docs
    .map((d) => ({ id: d.id, ...(d.data() as JobRunDoc) }))
    .sort((a, b) => a.startedAt.toMillis() - b.startedAt.toMillis() || a.id.localeCompare(b.id));
}

describe('dispatchDueJobs', () => {
  it('0 9 * * 1-5 in Europe/Berlin runs at 09:00 Berlin on weekdays only, once, with two dispatchers racing on every tick', async () => {
    // Thursday 26 March 2026 → Wednesday 1 April: across the DST change of Sunday 29 March.
    clock.set('2026-03-26T00:00:00Z');
    const id = await newJob('0 9 * * 1-5');
    const { calls, runners } = recordingRunners();
    const reports: DispatchReport[] = [];
    const end = Date.parse('2026-04-01T23:59:00Z');
    while (clock.now().getTime() < end) {
      clock.advance(60 * MINUTE);
      const logger = recordingLogger();
      reports.push(
        ...(await Promise.all([
          dispatchDueJobs(deps, logger, runners),
          dispatchDueJobs(deps, logger, runners),
        ])),
      );
    }
    const when = (d: Date) => formatInTimeZone(d, 'Europe/Berlin', 'EEE dd HH:mm');
    expect(calls.map((c) => when(c.scheduledFor))).toEqual([
      'Thu 26 09:00',
      'Fri 27 09:00',
      'Mon 30 09:00',
      'Tue 31 09:00',
      'Wed 01 09:00',
    ]);
    const runs = await runsOf(id);
    expect(runs.map((r) => [r.id, r.status, r.attempt])).toEqual([
      ['2026-03-26T08:00:00.000Z', 'success', 1],
      ['2026-03-27T08:00:00.000Z', 'success', 1],
      ['2026-03-30T07:00:00.000Z', 'success', 1],
      ['2026-03-31T07:00:00.000Z', 'success', 1],
      ['2026-04-01T07:00:00.000Z', 'success', 1],
    ]);
    expect(reports.reduce((n, r) => n + r.ran, 0)).toBe(5);
    const job = await jobDoc(id);
    expect(job.nextRunAt?.toDate().toISOString()).toBe('2026-04-02T07:00:00.000Z');
    expect(job.lastStatus).toBe('success');
    expect(job.lastSuccessAt).not.toBeNull();
    expect(job.inFlight).toBeNull();
  });

  it('two dispatchers started together on one due job: one runs it, the other finds it claimed', async () => {
    const id = await newJob('0 9 * * *');
    clock.set('2026-11-23T08:00:20Z');
    const { calls, runners } = recordingRunners();
    const logger = recordingLogger();
    const [a, b] = await Promise.all([
      dispatchDueJobs(deps, logger, runners),
      dispatchDueJobs(deps, logger, runners),
    ]);
    expect(calls).toHaveLength(1);
    expect(a.ran + b.ran).toBe(1);
    // The loser either lost the create() of the run document (both queries saw the job due) or
    // read the job after the winner had leased it; which one depends on how the two interleave.
    const outcomes = [a, b].map((r) => r.runs.map((x) => x.reason ?? x.status));
    expect(outcomes).toContainEqual(['success']);
    expect(outcomes.filter((o) => o[0] !== 'success')).toEqual([
      [expect.stringMatching(/^(claimed by another dispatcher|running elsewhere)$/)],
    ]);
    expect(await runsOf(id)).toHaveLength(1);
    // One summary line per dispatcher run, with its counts and timings.
    const summaries = logger.lines.filter((l) => l.message === 'Scheduled jobs dispatched');
    expect(summaries).toHaveLength(2);
    for (const line of summaries) {
      expect(line).toEqual(
        expect.objectContaining({
          job: 'dispatchScheduledJobs',
          durationMs: expect.any(Number),
          documentsRead: expect.any(Number),
          itemsActedOn: expect.any(Number),
          failures: 0,
        }),
      );
    }
    expect(summaries.reduce((n, l) => n + (l.itemsActedOn as number), 0)).toBe(1);
  });

  it('retries a failed run with exponential backoff, then succeeds; retries share the occurrence', async () => {
    const id = await newJob('0 9 * * *');
    const { calls, runners } = recordingRunners((n) => {
      if (n <= 2) throw new Error(`transient ${n}`);
    });
    const logger = recordingLogger();
    clock.set('2026-11-23T08:00:10Z');
    await dispatchDueJobs(deps, logger, runners); // attempt 1 fails → retry at +60 s
    expect((await jobDoc(id)).pendingRetry).toMatchObject({ attempt: 2 });
    expect((await jobDoc(id)).nextRunAt?.toDate().toISOString()).toBe('2026-11-23T08:01:10.000Z');
    clock.advance(59_000);
    await dispatchDueJobs(deps, logger, runners); // too early: nothing
    expect(calls).toHaveLength(1);
    clock.advance(1_000);
    await dispatchDueJobs(deps, logger, runners); // attempt 2 fails → retry at +120 s
    expect((await jobDoc(id)).nextRunAt?.toDate().toISOString()).toBe('2026-11-23T08:03:10.000Z');
    clock.advance(120_000);
    await dispatchDueJobs(deps, logger, runners); // attempt 3 succeeds
    expect(calls.map((c) => [c.attempt, c.runId, c.scheduledFor.toISOString()])).toEqual([
      [1, '2026-11-23T08:00:00.000Z', '2026-11-23T08:00:00.000Z'],
      [2, '2026-11-23T08:00:00.000Z#retry1', '2026-11-23T08:00:00.000Z'],
      [3, '2026-11-23T08:00:00.000Z#retry2', '2026-11-23T08:00:00.000Z'],
    ]);
    const runs = await runsOf(id);
    expect(runs.map((r) => [r.id, r.status, r.error, r.willRetry])).toEqual([
      ['2026-11-23T08:00:00.000Z', 'failed', 'transient 1', true],
      ['2026-11-23T08:00:00.000Z#retry1', 'failed', 'transient 2', true],
      ['2026-11-23T08:00:00.000Z#retry2', 'success', null, false],
    ]);
    expect(runs.every((r) => r.endedAt !== null && r.durationMs !== null)).toBe(true);
    const job = await jobDoc(id);
    expect(job).toMatchObject({ lastStatus: 'success', pendingRetry: null, inFlight: null });
    expect(job.nextRunAt?.toDate().toISOString()).toBe('2026-11-24T08:00:00.000Z');
    expect(logger.lines.filter((l) => l.level === 'WARN')).toHaveLength(2);
  });

  it('after the last attempt the run is failed and logged, and the job waits for its next occurrence', async () => {
    const id = await newJob('0 9 * * *');
    const { calls, runners } = recordingRunners(() => {
      throw new Error('SMTP down');
    });
    const logger = recordingLogger();
    clock.set('2026-11-23T08:00:10Z');
    for (let i = 0; i < 6; i++) {
      await dispatchDueJobs(deps, logger, runners);
      clock.advance(5 * MINUTE);
    }
    expect(calls).toHaveLength(3);
    const job = await jobDoc(id);
    expect(job).toMatchObject({ lastStatus: 'failed', lastError: 'SMTP down', pendingRetry: null });
    expect(job.nextRunAt?.toDate().toISOString()).toBe('2026-11-24T08:00:00.000Z');
    const errors = logger.lines.filter((l) => l.level === 'ERROR');
    expect(errors).toEqual([
      expect.objectContaining({
        message: 'Scheduled job run failed',
        jobId: id,
        attempts: 3,
        error: 'SMTP down',
      }),
    ]);
  });

  it('a permanent failure is not retried', async () => {
    const id = await newJob('0 9 * * *');
    const runners: JobRunners = {
      custom_notification: () => Promise.reject(new PermanentJobError('project gone')),
    };
    clock.set('2026-11-23T08:00:10Z');
    await dispatchDueJobs(deps, recordingLogger(), runners);
    const [run] = await runsOf(id);
    expect(run).toMatchObject({ status: 'failed', error: 'project gone', willRetry: false });
    expect((await jobDoc(id)).pendingRetry).toBeNull();
  });

  it('a job missed during an outage runs once on recovery and records the missed ticks', async () => {
    clock.set('2026-11-23T09:30:00Z');
    const id = await newJob('0 * * * *', 'UTC');
    expect((await jobDoc(id)).nextRunAt?.toDate().toISOString()).toBe('2026-11-23T10:00:00.000Z');
    clock.set('2026-11-23T15:00:30Z'); // the dispatcher was down from 09:59 to 15:00
    const { calls, runners } = recordingRunners();
    await dispatchDueJobs(deps, recordingLogger(), runners);
    await dispatchDueJobs(deps, recordingLogger(), runners);
    expect(calls.map((c) => c.scheduledFor.toISOString())).toEqual(['2026-11-23T10:00:00.000Z']);
    const [run] = await runsOf(id);
    expect(run?.missedRuns).toBe(5);
    const job = await jobDoc(id);
    expect(job.missedRuns).toBe(5);
    expect(job.nextRunAt?.toDate().toISOString()).toBe('2026-11-23T16:00:00.000Z');
  });

  it('a run whose dispatcher died is left alone during its lease, then failed and retried', async () => {
    const id = await newJob('0 9 * * *');
    // A dispatcher claimed the 09:00 run at 08:00:05Z and died: run `running`, job in flight.
    const started = Timestamp.fromDate(new Date('2026-11-23T08:00:05Z'));
    const lease = Timestamp.fromDate(new Date('2026-11-23T08:10:05Z'));
    const attempt = {
      runId: '2026-11-23T08:00:00.000Z',
      baseRunId: '2026-11-23T08:00:00.000Z',
      attempt: 1,
      scheduledFor: Timestamp.fromDate(new Date('2026-11-23T08:00:00Z')),
      trigger: 'schedule',
      requestedBy: null,
    };
    await fs.db.doc(`scheduledJobs/${id}/runs/${attempt.runId}`).set({
      jobId: id,
      taskType: 'custom_notification',
      trigger: 'schedule',
      attempt: 1,
      baseRunId: attempt.runId,
      scheduledFor: attempt.scheduledFor,
      startedAt: started,
      endedAt: null,
      durationMs: null,
      status: 'running',
      error: null,
      willRetry: false,
      retryAt: null,
      leaseUntil: lease,
      missedRuns: 0,
      itemsActedOn: null,
      documentsRead: null,
      detail: null,
      requestedBy: null,
      expireAt: lease,
    });
    await fs.db.doc(`scheduledJobs/${id}`).update({ inFlight: attempt, nextRunAt: lease });
    const { calls, runners } = recordingRunners();
    clock.set('2026-11-23T08:05:00Z');
    await dispatchDueJobs(deps, recordingLogger(), runners); // within the lease: not due
    clock.set('2026-11-23T08:10:30Z');
    await dispatchDueJobs(deps, recordingLogger(), runners); // lease over: failed, retry at +60 s
    expect(calls).toHaveLength(0);
    clock.advance(MINUTE);
    await dispatchDueJobs(deps, recordingLogger(), runners);
    expect(calls.map((c) => [c.attempt, c.runId])).toEqual([[2, `${attempt.runId}#retry1`]]);
    const runs = await runsOf(id);
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      [attempt.runId, 'failed'],
      [`${attempt.runId}#retry1`, 'success'],
    ]);
    expect(runs[0]?.error).toMatch(/did not finish within its lease/);
  });

  it('a claim whose dispatcher died before marking the job is recovered the same way', async () => {
    const id = await newJob('0 9 * * *');
    // The run document was created (claimed) but the job was never marked in flight.
    await fs.db.doc(`scheduledJobs/${id}/runs/2026-11-23T08:00:00.000Z`).set({
      jobId: id,
      taskType: 'custom_notification',
      trigger: 'schedule',
      attempt: 1,
      baseRunId: '2026-11-23T08:00:00.000Z',
      scheduledFor: Timestamp.fromDate(new Date('2026-11-23T08:00:00Z')),
      startedAt: Timestamp.fromDate(new Date('2026-11-23T08:00:05Z')),
      endedAt: null,
      durationMs: null,
      status: 'running',
      error: null,
      willRetry: false,
      retryAt: null,
      leaseUntil: Timestamp.fromDate(new Date('2026-11-23T08:10:05Z')),
      missedRuns: 0,
      itemsActedOn: null,
      documentsRead: null,
      detail: null,
      requestedBy: null,
      expireAt: Timestamp.fromDate(new Date('2026-12-23T08:00:05Z')),
    });
    const { calls, runners } = recordingRunners();
    clock.set('2026-11-23T08:01:00Z');
    const during = await dispatchDueJobs(deps, recordingLogger(), runners);
    expect(during.runs).toEqual([expect.objectContaining({ status: 'skipped' })]);
    clock.set('2026-11-23T08:11:00Z');
    await dispatchDueJobs(deps, recordingLogger(), runners); // failed → retry at 08:12
    clock.set('2026-11-23T08:12:00Z');
    await dispatchDueJobs(deps, recordingLogger(), runners);
    expect(calls.map((c) => c.attempt)).toEqual([2]);
    expect((await jobDoc(id)).lastStatus).toBe('success');
  });

  it('does not run disabled jobs', async () => {
    const id = await newJob('0 9 * * *');
    await fs.db.doc(`scheduledJobs/${id}`).update({ enabled: false });
    clock.set('2026-11-23T08:00:10Z');
    const { calls, runners } = recordingRunners();
    const report = await dispatchDueJobs(deps, recordingLogger(), runners);
    expect(report.due).toBe(0);
    expect(calls).toHaveLength(0);
  });
});

describe('runJobNow', () => {
  it('runs inline as manual-<request id>; the same request id answers the same run', async () => {
    const id = await newJob('0 9 * * *');
    clock.set('2026-11-23T12:00:00Z');
    const { calls, runners } = recordingRunners();
    const logger = recordingLogger();
    const first = await runJobNow(deps, logger, runners, id, {
      requestId: 'req-12345678',
      requestedBy: admin.uid,
    });
    const again = await runJobNow(deps, logger, runners, id, {
      requestId: 'req-12345678',
      requestedBy: admin.uid,
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ trigger: 'manual', runId: 'manual-req-12345678' });
    expect(first.run).toMatchObject({
      status: 'success',
      trigger: 'manual',
      requestedBy: 'admin-1',
    });
    expect(again.runId).toBe(first.runId);
    // The next scheduled run is unchanged by a manual run.
    expect(first.job?.nextRunAt?.toDate().toISOString()).toBe('2026-11-24T08:00:00.000Z');
  });

  it('409 while another attempt runs under its lease; 404 for an unknown job', async () => {
    const id = await newJob('0 9 * * *');
    clock.set('2026-11-23T12:00:00Z');
    // An attempt as the dispatcher claims it: the run document and the job's inFlight.
    const busy = {
      runId: 'busy',
      baseRunId: 'busy',
      attempt: 1,
      scheduledFor: Timestamp.fromDate(new Date('2026-11-23T11:59:00Z')),
      trigger: 'schedule',
      requestedBy: null,
    };
    await fs.db.doc(`scheduledJobs/${id}/runs/busy`).set({
      jobId: id,
      taskType: 'custom_notification',
      trigger: 'schedule',
      attempt: 1,
      baseRunId: 'busy',
      scheduledFor: busy.scheduledFor,
      startedAt: Timestamp.fromDate(new Date('2026-11-23T11:59:00Z')),
      endedAt: null,
      durationMs: null,
      status: 'running',
      error: null,
      willRetry: false,
      retryAt: null,
      leaseUntil: Timestamp.fromDate(new Date('2026-11-23T12:05:00Z')),
      missedRuns: 0,
      itemsActedOn: null,
      documentsRead: null,
      detail: null,
      requestedBy: null,
      expireAt: Timestamp.fromDate(new Date('2026-12-23T11:59:00Z')),
    });
    await fs.db.doc(`scheduledJobs/${id}`).update({ inFlight: busy });
    const { runners } = recordingRunners();
    const run = (jobId: string) =>
      runJobNow(deps, recordingLogger(), runners, jobId, {
        requestId: 'req-abcdefgh',
        requestedBy: admin.uid,
      });
    await expect(run(id)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(run('nope')).rejects.toBeInstanceOf(AppError);
  });
});

describe('custom_notification against Firestore', () => {
  const scheduledFor = new Date('2026-11-24T08:00:00Z');
  function ctx(parameters: Record<string, unknown>): JobContext {
    return {
      deps,
      logger: recordingLogger(),
      job: {
        id: 'job-n',
        taskType: 'custom_notification',
        schedule: '0 9 * * *',
        timezone: 'Europe/Berlin',
        parameters,
        description: '',
        createdBy: admin.uid,
      },
      scheduledFor,
      runId: scheduledFor.toISOString(),
      attempt: 1,
      trigger: 'schedule',
    };
  }
  function recorder(failTopic = 0) {
    const users: string[] = [];
    const topics: string[] = [];
    let failures = failTopic;
    const notifier: JobNotifier = {
      notify: (intent) => {
        users.push(intent.recipientId);
        return Promise.resolve({});
      },
      notifyTopic: (topic) => {
        if (failures-- > 0) return Promise.reject(new Error('FCM unavailable'));
        topics.push(topic);
        return Promise.resolve({});
      },
    };
    return { users, topics, notifier };
  }

  it('notifies the members of a project, read when the run starts', async () => {
    await fs.db
      .doc('projects/p1')
      .set({ members: ['m1', 'm2', 'm3'], name: 'P', workspaceId: 'w1' });
    const { users, notifier } = recorder();
    const result = await customNotificationRunner(() => notifier)(
      ctx({ title: 'T', body: 'B', target: { projectId: 'p1' } }),
    );
    expect(users.sort()).toEqual(['m1', 'm2', 'm3']);
    expect(result).toMatchObject({ itemsActedOn: 3, documentsRead: 1 });
  });

  it('a missing project is a permanent failure', async () => {
    const { notifier } = recorder();
    await expect(
      customNotificationRunner(() => notifier)(
        ctx({ title: 'T', body: 'B', target: { projectId: 'gone' } }),
      ),
    ).rejects.toBeInstanceOf(PermanentJobError);
  });

  it('sends to a topic once per occurrence: a retry after success sends nothing, after a failure sends', async () => {
    const { topics, notifier } = recorder(1);
    const run = customNotificationRunner(() => notifier);
    const params = { title: 'T', body: 'B', target: { topic: 'announcements' } };
    await expect(run(ctx(params))).rejects.toThrow('FCM unavailable'); // claim released
    expect(await run(ctx(params))).toMatchObject({ itemsActedOn: 1 });
    expect(await run(ctx(params))).toMatchObject({
      itemsActedOn: 0,
      detail: { alreadySent: true },
    });
    expect(topics).toEqual(['announcements']);
  });
});

describe('a job that cannot be dispatched', () => {
  it('does not stop the others, is recorded, and is disabled after three runs', async () => {
    await newJob('0 9 * * *', 'Europe/Berlin', 'good');
    await newJob('0 9 * * *', 'Europe/Berlin', 'bad');
    // Written around the API: a schedule that is no cron expression makes every dispatch throw.
    await fs.db.doc('scheduledJobs/bad').update({ schedule: 'not a cron expression' });
    clock.set('2026-11-23T08:00:20Z');
    const { runners } = recordingRunners();
    const first = await dispatchDueJobs(deps, recordingLogger(), runners);
    expect(first.runs.find((r) => r.jobId === 'good')).toMatchObject({ status: 'success' });
    await dispatchDueJobs(deps, recordingLogger(), runners);
    await dispatchDueJobs(deps, recordingLogger(), runners);
    expect((await fs.db.doc('scheduledJobs/bad').get()).get('enabled')).toBe(false);
    const errors = (await fs.db.collection('sweepErrors').get()).docs.map((d) => d.data());
    expect(errors).toEqual([
      expect.objectContaining({
        sweep: 'dispatchScheduledJobs',
        path: 'scheduledJobs/bad',
        attempts: 3,
        quarantined: true,
      }),
    ]);
  });
});
