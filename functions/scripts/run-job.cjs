#!/usr/bin/env node
// Runs a scheduled job or sweep now against the local emulators (the local stack has no Cloud
// Scheduler): npm --prefix functions run job:run -- <target>
//   <jobId>          a user-defined job (scheduledJobs/{id}): a manual run, as POST …/run does
//   <taskType>       every stored job of that type (e.g. custom_notification), one manual run each
//   <function name>  a scheduled function of lib/index.js, through its own handler
//                    (dispatchScheduledJobs, spawnRecurringTasks, dailyCleanup, releaseDeliveries…)
//   dispatch | recurring | cleanup   short names of the first three
//   --list           the scheduled functions and stored jobs
// It runs the built code (the npm script builds first) with the Admin SDK pointed at the
// emulators (FIRESTORE_EMULATOR_HOST, default 127.0.0.1:8080) and refuses non-demo projects.
'use strict';
const path = require('node:path');

const LIB = path.join(__dirname, '..', 'lib');
const ALIASES = {
  dispatch: 'dispatchScheduledJobs',
  recurring: 'spawnRecurringTasks',
  cleanup: 'dailyCleanup',
};
const JOB_TYPES = [
  'daily_summary',
  'weekly_summary',
  'overdue_check',
  'reminder_sweep',
  'custom_notification',
];

function setUpEnvironment() {
  const project = process.env.GCLOUD_PROJECT ?? process.env.GOOGLE_CLOUD_PROJECT ?? 'demo-taskflow';
  process.env.GCLOUD_PROJECT = project;
  // Always the local emulators (never a real project's data), and the local stack's transports.
  process.env.FIRESTORE_EMULATOR_HOST ??= '127.0.0.1:8080';
  process.env.FIREBASE_AUTH_EMULATOR_HOST ??= '127.0.0.1:9099';
  process.env.DELIVERY_TRANSPORT ??= 'capture';
  process.env.TASK_QUEUE_TRANSPORT ??= 'inline';
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  // Outside the Functions emulator nobody resolves params: give each its declared default, so a
  // retention of "0 days" never reaches the cleanup, and secrets an empty value (= not set, as in
  // the Emulator Suite). Values already in the environment win.
  const params = require(path.join(LIB, 'config', 'params.js'));
  for (const param of Object.values(params)) {
    if (typeof param?.name !== 'string' || process.env[param.name] !== undefined) continue;
    const def = param.options?.default;
    process.env[param.name] = def === undefined ? '' : String(def);
  }
}

function scheduledFunctions(index) {
  return Object.keys(index).filter((name) => {
    const fn = index[name];
    return typeof fn?.run === 'function' && fn.__endpoint?.scheduleTrigger !== undefined;
  });
}

async function runJob(runtime, jobId, label) {
  const { runJobNow } = require(path.join(LIB, 'domain', 'scheduling', 'dispatcher.js'));
  const { productionJobRunners } = require(
    path.join(LIB, 'domain', 'scheduling', 'job-runners.js'),
  );
  const { toJobRun } = require(path.join(LIB, 'domain', 'scheduling', 'job.service.js'));
  const { runId, run } = await runJobNow(
    runtime.deps,
    runtime.logger.child({ function: 'job:run' }),
    productionJobRunners(),
    jobId,
    { requestId: `cli-${label}-${Date.now()}`, requestedBy: 'cli' },
  );
  process.stdout.write(`${jobId}: ${JSON.stringify(toJobRun(runId, run), null, 2)}\n`);
  return run.status === 'success';
}

async function main() {
  const [target] = process.argv.slice(2);
  if (target === undefined || target === '' || target === '-h' || target === '--help') {
    throw new Error(
      'usage: npm run job:run -- <jobId | taskType | scheduled function | dispatch | recurring | cleanup | --list>',
    );
  }
  setUpEnvironment();
  const index = require(path.join(LIB, 'index.js'));
  const { getRuntime } = require(path.join(LIB, 'composition-root.js'));
  const runtime = getRuntime();
  const jobs = runtime.deps.db.collection('scheduledJobs');
  const functions = scheduledFunctions(index);

  if (target === '--list') {
    process.stdout.write(`scheduled functions: ${functions.join(', ')}\n`);
    const snap = await jobs.limit(100).get();
    for (const doc of snap.docs) {
      const j = doc.data();
      process.stdout.write(
        `job ${doc.id}: ${j.taskType} "${j.schedule}" ${j.timezone}${j.enabled ? '' : ' (disabled)'}\n`,
      );
    }
    return true;
  }
  const fnName = ALIASES[target] ?? target;
  if (functions.includes(fnName)) {
    const started = Date.now();
    await index[fnName].run({ scheduleTime: new Date().toISOString(), jobName: 'job:run' });
    process.stdout.write(
      `${fnName}: done in ${Date.now() - started} ms (see the log line above)\n`,
    );
    return true;
  }
  if (JOB_TYPES.includes(target)) {
    const snap = await jobs.where('taskType', '==', target).limit(100).get();
    if (snap.empty) throw new Error(`no stored job of type ${target}`);
    let ok = true;
    for (const doc of snap.docs) ok = (await runJob(runtime, doc.id, target)) && ok;
    return ok;
  }
  if ((await jobs.doc(target).get()).exists) return runJob(runtime, target, 'job');
  throw new Error(
    `"${target}" is neither a scheduled job id, a task type (${JOB_TYPES.join(', ')}) nor a ` +
      `scheduled function (${functions.join(', ')})`,
  );
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    const cause = err?.code === 14 ? ' (is the local stack running? npm start)' : '';
    process.stderr.write(`job:run: ${err instanceof Error ? err.message : String(err)}${cause}\n`);
    process.exit(1);
  },
);
