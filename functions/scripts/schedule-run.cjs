#!/usr/bin/env node
// `npm run schedule:run -- <functionName>` runs one scheduled function (onSchedule) of the running
// local stack now, the way Cloud Scheduler calls it (POST with X-CloudScheduler-JobName and
// -ScheduleTime headers, through the Functions emulator); `npm run schedule:run` (or `-- --list`)
// lists them with their schedules. Exit code 0 when the function answered 200, 1 when it failed.
// The function's own log lines appear in the terminal of `npm start`.
// Env: FUNCTIONS_EMULATOR_HOST (default 127.0.0.1:5001), GCLOUD_PROJECT (default demo-taskflow).
// User-defined jobs (POST /api/scheduled-tasks) have their own run-now endpoint; this is for the
// functions deployed with a schedule (releaseDeliveries, sendDueReminders, dailyCleanup, …).
'use strict';
const { scheduledFunctions, invokeScheduled } = require('./local-functions.cjs');

const FUNCTIONS_HOST = process.env.FUNCTIONS_EMULATOR_HOST || '127.0.0.1:5001';
const PROJECT_ID = process.env.GCLOUD_PROJECT || 'demo-taskflow';

function usage(message) {
  if (message) process.stderr.write(`schedule:run: ${message}\n`);
  process.stderr.write('usage: npm run schedule:run -- <functionName> | --list\n');
  process.exit(2);
}

function list(fns, out = process.stdout) {
  const width = Math.max(...fns.map((f) => f.name.length), 8);
  for (const f of fns) {
    const tz = f.timeZone === 'UTC' || f.timeZone === 'Etc/UTC' ? '' : ` (${f.timeZone})`;
    const auto =
      f.matches === undefined ? '   [not ticked by npm start: schedule not understood]' : '';
    out.write(`${f.name.padEnd(width)}  ${f.schedule}${tz}${auto}\n`);
  }
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) usage();
  if (args.length > 1) usage('one function name at a time');
  let fns;
  try {
    fns = await scheduledFunctions(FUNCTIONS_HOST, PROJECT_ID);
  } catch (e) {
    throw new Error(
      `the Functions emulator at ${FUNCTIONS_HOST} did not answer (${e.message}): ` +
        'is `npm start` running?',
    );
  }
  if (fns.length === 0) throw new Error('the Functions emulator has no scheduled function loaded');
  const [wanted] = args;
  if (wanted === undefined || wanted === '--list') {
    list(fns);
    return;
  }
  const fn = fns.find((f) => [f.name, f.id].some((n) => n.toLowerCase() === wanted.toLowerCase()));
  if (fn === undefined) {
    process.stderr.write(`schedule:run: no scheduled function "${wanted}"; these are loaded:\n`);
    list(fns, process.stderr);
    process.exitCode = 2;
    return;
  }
  const at = new Date();
  process.stdout.write(`running ${fn.name} (${fn.schedule}) at ${at.toISOString()}…\n`);
  const { status, ms, body } = await invokeScheduled(FUNCTIONS_HOST, PROJECT_ID, fn, at);
  if (status === 200) {
    process.stdout.write(`${fn.name}: done in ${ms} ms (its log is in the npm start terminal)\n`);
    return;
  }
  process.stderr.write(
    `${fn.name}: failed, HTTP ${status} after ${ms} ms${body ? `: ${body.slice(0, 300)}` : ''} ` +
      '(its error is in the npm start terminal)\n',
  );
  process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`schedule:run: ${e.message}\n`);
  process.exitCode = 1;
});
