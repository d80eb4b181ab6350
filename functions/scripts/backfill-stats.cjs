#!/usr/bin/env node
// Recomputes the per-user, per-day statistics (userStats/{uid}/days) from activity and tasks
// (docs/analytics.md). Runs the built domain code (lib/), so `npm run stats:backfill` builds first.
//
//   npm --prefix functions run stats:backfill -- --user <uid> [--user <uid>…]
//   npm --prefix functions run stats:backfill -- --all [--restart] [--max-users <n>]
//
// Options: --project <id> (default GCLOUD_PROJECT / GOOGLE_CLOUD_PROJECT, else demo-taskflow),
// --retention-days <n> (default ANALYTICS_RETENTION_DAYS or 400). With FIRESTORE_EMULATOR_HOST set
// it talks to that emulator; otherwise to the real project with Application Default Credentials
// (`gcloud auth application-default login`). `--all` records its progress in backfills/userStats
// after every user: run it again after an interruption and it carries on after the last user done.
'use strict';
const path = require('node:path');

const USAGE =
  'usage: stats:backfill -- (--user <uid>)… | --all [--restart] [--max-users <n>]\n' +
  '       [--project <id>] [--retention-days <n>]';

function parseArgs(argv) {
  const options = { users: [], all: false, restart: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value`);
      return v;
    };
    const count = () => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`${arg} must be a positive integer`);
      return n;
    };
    if (arg === '--user') options.users.push(value());
    else if (arg === '--all') options.all = true;
    else if (arg === '--restart') options.restart = true;
    else if (arg === '--project') options.project = value();
    else if (arg === '--max-users') options.maxUsers = count();
    else if (arg === '--retention-days') options.retentionDays = count();
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!options.help && options.all === options.users.length > 0) {
    throw new Error('give either --user <uid> or --all');
  }
  return options;
}

function describe(result) {
  if (result.skipped) return `${result.userId}: no profile (deleted account), skipped`;
  return (
    `${result.userId}: ${result.activity} activity, ${result.fromTasks} from tasks → ` +
    `${result.daysWritten} days written, ${result.daysDeleted} deleted`
  );
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const lib = path.join(__dirname, '..', 'lib');
  let backfill, clock;
  try {
    backfill = require(path.join(lib, 'domain/analytics/stats.backfill.js'));
    clock = require(path.join(lib, 'core/clock.js')).systemClock;
  } catch {
    process.stderr.write('lib/ is missing: run `npm run build` (npm run stats:backfill does)\n');
    return 1;
  }
  // Against an emulator there is no metadata server to ask for credentials.
  if (process.env.FIRESTORE_EMULATOR_HOST) process.env.METADATA_SERVER_DETECTION ??= 'none';
  const { initializeApp } = require('firebase-admin/app');
  const { getFirestore } = require('firebase-admin/firestore');
  const projectId =
    options.project ??
    process.env.GCLOUD_PROJECT ??
    process.env.GOOGLE_CLOUD_PROJECT ??
    'demo-taskflow';
  const target = process.env.FIRESTORE_EMULATOR_HOST
    ? `the emulator at ${process.env.FIRESTORE_EMULATOR_HOST}`
    : 'production (Application Default Credentials)';
  process.stdout.write(`Backfilling user statistics in ${projectId} on ${target}\n`);
  const db = getFirestore(initializeApp({ projectId }));
  db.settings({ ignoreUndefinedProperties: true });
  const retentionDays =
    options.retentionDays ?? (Number(process.env.ANALYTICS_RETENTION_DAYS) || undefined);

  try {
    if (!options.all) {
      for (const uid of options.users) {
        const result = await backfill.backfillUserStats(db, clock, uid, { retentionDays });
        process.stdout.write(`${describe(result)}\n`);
      }
      return 0;
    }
    const started = Date.now();
    const result = await backfill.backfillAllUserStats(db, clock, {
      retentionDays,
      restart: options.restart,
      maxUsers: options.maxUsers,
      onProgress: ({ result: r, usersDone }) => {
        process.stdout.write(`[${usersDone}] ${describe(r)}\n`);
      },
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      (result.resumedAfter === null ? '' : `(resumed after ${result.resumedAfter}) `) +
        `${result.users} users in ${seconds} s (${result.usersDone} in this backfill so far); ` +
        (result.finished ? 'finished.\n' : 'stopped early: run again to continue.\n'),
    );
    return 0;
  } finally {
    await db.terminate();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`backfill failed: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  },
);
