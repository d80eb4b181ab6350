#!/usr/bin/env node
// `npm run outbox:dump [-- <dir>] [--limit N]`: writes the emails the local stack captured
// (devOutbox documents with kind 'email', see src/infra/email/capture.mailer.ts) as
// `<capturedAt>-<to>-<id>.html`, `.txt` and `.eml` files, newest 200 by default, into
// functions/outbox/ (git-ignored) or <dir>. Reads only the Firestore emulator:
// FIRESTORE_EMULATOR_HOST (default 127.0.0.1:8080), project GCLOUD_PROJECT (default demo-taskflow).
// The conversion lives in scripts/outbox-files.ts (a development tool, not part of the deployed lib/),
// loaded from source: no build needed.
'use strict';
const path = require('node:path');

const FUNCTIONS_DIR = path.resolve(__dirname, '..');
const DEFAULT_DIR = path.join(FUNCTIONS_DIR, 'outbox');
const TIMEOUT_MS = 15_000;

function usage(message) {
  if (message) process.stderr.write(`outbox:dump: ${message}\n`);
  process.stderr.write('usage: npm run outbox:dump [-- <dir>] [--limit N]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { dir: DEFAULT_DIR, limit: undefined };
  // npm runs scripts in the package directory; relative paths mean where the user typed them.
  const base = process.env.INIT_CWD || process.cwd();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') usage();
    else if (arg === '--limit') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) usage('--limit needs a positive integer');
      args.limit = n;
    } else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else args.dir = path.resolve(base, arg);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // Never production: without an emulator host this script points at the local default.
  process.env.FIRESTORE_EMULATOR_HOST ||= '127.0.0.1:8080';
  process.env.METADATA_SERVER_DETECTION ||= 'none';
  const projectId = process.env.GCLOUD_PROJECT || 'demo-taskflow';
  const { initializeApp } = require('firebase-admin/app');
  const { getFirestore } = require('firebase-admin/firestore');
  require('./require-typescript.cjs').registerTypeScript();
  const { dumpOutbox } = require('./outbox-files.ts');
  const db = getFirestore(initializeApp({ projectId }));

  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `no answer from Firestore at ${process.env.FIRESTORE_EMULATOR_HOST} within ${TIMEOUT_MS / 1000} s; is the local stack running (npm start)?`,
          ),
        ),
      TIMEOUT_MS,
    );
  });
  try {
    const written = await Promise.race([dumpOutbox(db, args.dir, { limit: args.limit }), timeout]);
    const shown = (p) => path.relative(process.env.INIT_CWD || process.cwd(), p) || p;
    for (const { email, paths } of written) {
      const base = shown(paths[0]).replace(/\.html$/, '');
      process.stdout.write(`${base}.{html,txt,eml}  to ${email.to}: ${email.subject}\n`);
    }
    process.stdout.write(
      `${written.length} captured email(s) from ${projectId} at ${process.env.FIRESTORE_EMULATOR_HOST} written to ${shown(args.dir)}\n`,
    );
  } finally {
    clearTimeout(timer);
    await db.terminate().catch(() => undefined);
  }
}

main().catch((err) => {
  process.stderr.write(`outbox:dump: ${err.message}\n`);
  process.exit(1);
});
