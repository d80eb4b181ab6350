#!/usr/bin/env node
// `npm run bench:latency [-- --assignments 100 --gap-ms 500 --timeout 30]`, against a running local
// stack (`npm start`): how long from a task assignment (a plain Admin SDK write to tasks/{id}, what
// the Flutter app's write amounts to) to the push reaching the FCM transport and the email reaching
// the mail transport — both captured in `devOutbox` with the instant the transport was called
// (`capturedAt`, written by the function on this machine's clock).
//
// Method: signs in as the seeded assigner and assignee (Auth emulator), registers one device for
// the assignee through the REST API, then writes N tasks in the seeded project, each created
// already assigned to the assignee, `--gap-ms` apart (with --existing: creates them unassigned in
// one batch first, waits --settle seconds for those triggers, then assigns each; their previous
// write is recent, so the engine also runs its recent-records query): the write → the onTaskWritten trigger
// (through the stack's trigger delivery) → the engine → the capture. Latency = capturedAt − the
// write's start, per assignment, for the first push and the first email about that task.
// Prints p50/p95/max and exits 1 if the push misses p50 ≤ 2 s or p95 ≤ 5 s (or any push/email
// never arrives within --timeout seconds). Env: as scripts/demo-assign.cjs.
'use strict';
const { randomUUID } = require('node:crypto');

const { API, FIRESTORE_HOST, PROJECT_ID, signIn } = require('./stack-client.cjs');
const GOAL = { p50: 2000, p95: 5000 };

function parseArgs(argv) {
  const args = {
    assignments: 100,
    'gap-ms': 500,
    timeout: 30,
    settle: 20,
    existing: false,
    to: 'bob@taskflow.test',
    as: 'alice@taskflow.test',
    json: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    if (flag === '--json' || flag === '--existing') {
      args[flag.slice(2)] = true;
      continue;
    }
    const name = flag.replace(/^--/, '');
    const value = argv[i + 1];
    if (!(name in args) || value === undefined || flag === '--help') {
      process.stderr.write(
        'usage: npm run bench:latency [-- --assignments N] [--gap-ms MS] [--timeout S] ' +
          '[--existing [--settle S]] [--to EMAIL] [--as EMAIL] [--json]\n',
      );
      process.exit(2);
    }
    args[name] = ['to', 'as'].includes(name) ? value : Number(value);
    i += 1;
  }
  return args;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0] ?? NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!PROJECT_ID.startsWith('demo-')) throw new Error(`refusing to write to "${PROJECT_ID}"`);
  process.env.FIRESTORE_EMULATOR_HOST = FIRESTORE_HOST;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const log = (line) => {
    if (!args.json) process.stdout.write(`${line}\n`);
  };
  const [assigner, assignee] = await Promise.all([signIn(args.as), signIn(args.to)]);
  const token = `local-latency-fcm-token-${assignee.uid}`;
  const reg = await fetch(`${API}/users/${assignee.uid}/devices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${assignee.idToken}` },
    body: JSON.stringify({ deviceId: 'latency-phone', platform: 'android', token }),
  });
  if (reg.status !== 201) throw new Error(`registering a device: HTTP ${reg.status}`);

  const { initializeApp, deleteApp } = require('firebase-admin/app');
  const { getFirestore, Timestamp } = require('firebase-admin/firestore');
  const app = initializeApp({ projectId: PROJECT_ID }, `bench-latency-${randomUUID()}`);
  const db = getFirestore(app);
  try {
    const template = (await db.doc('tasks/demo-task-1').get()).data();
    if (template === undefined)
      throw new Error('tasks/demo-task-1 is missing: is the stack seeded?');
    const run = Date.now().toString(36);
    const ids = Array.from({ length: args.assignments }, (_, i) => `latency-${run}-${i}`);
    const titles = new Map(
      ids.map((id, i) => [id, `Latency check ${run} #${String(i).padStart(4, '0')}`]),
    );
    const fields = (id, at) => ({
      ...template,
      title: titles.get(id),
      description: 'Latency benchmark task',
      assigneeId: null,
      status: 'todo',
      completedAt: null,
      dueDate: null,
      createdBy: assigner.uid,
      updatedBy: assigner.uid,
      createdAt: at,
      updatedAt: at,
    });
    if (args.existing) {
      const created = Timestamp.now();
      for (let i = 0; i < ids.length; i += 400) {
        const batch = db.batch();
        for (const id of ids.slice(i, i + 400))
          batch.set(db.doc(`tasks/${id}`), fields(id, created));
        await batch.commit();
      }
      log(
        `Created ${ids.length} unassigned tasks; letting their triggers settle for ${args.settle} s`,
      );
      await sleep(args.settle * 1000);
    }
    const startedAt = Date.now();
    const writes = new Map();
    const push = new Map();
    const email = new Map();
    const byTitle = new Map([...titles].map(([id, title]) => [title, id]));
    let cursor = Timestamp.fromMillis(startedAt - 1000);
    let stop = false;
    const poll = (async () => {
      while (!stop) {
        const snap = await db
          .collection('devOutbox')
          .where('capturedAt', '>=', cursor)
          .orderBy('capturedAt')
          .get();
        for (const d of snap.docs) {
          const at = d.get('capturedAt').toMillis();
          if (d.get('kind') === 'push' && d.get('message.token') === token) {
            const id = d.get('message.data.taskId');
            if (writes.has(id) && !push.has(id)) push.set(id, at - writes.get(id));
          } else if (d.get('kind') === 'email') {
            const id = [...byTitle].find(([title]) =>
              String(d.get('subject')).includes(title),
            )?.[1];
            if (id !== undefined && writes.has(id) && !email.has(id))
              email.set(id, at - writes.get(id));
          }
          if (at > cursor.toMillis()) cursor = Timestamp.fromMillis(at);
        }
        await sleep(100);
      }
    })();

    for (const [i, id] of ids.entries()) {
      const t0 = Date.now();
      writes.set(id, t0);
      const at = Timestamp.fromMillis(t0);
      const assignment = { assigneeId: assignee.uid, updatedBy: assigner.uid, updatedAt: at };
      if (args.existing) await db.doc(`tasks/${id}`).update(assignment);
      else await db.doc(`tasks/${id}`).create({ ...fields(id, at), ...assignment });
      if (!args.json) process.stderr.write(i === ids.length - 1 ? '.\n' : '.');
      await sleep(args['gap-ms']);
    }
    const deadline = Date.now() + args.timeout * 1000;
    while ((push.size < ids.length || email.size < ids.length) && Date.now() < deadline)
      await sleep(200);
    stop = true;
    await poll;

    // The inbox item is written at the start of the same trigger run: write → inbox is the time
    // the stack took to start the trigger, inbox → push what the engine added after it.
    const inbox = new Map();
    for (let i = 0; i < ids.length; i += 30) {
      const snap = await db
        .collection(`users/${assignee.uid}/notifications`)
        .where('taskId', 'in', ids.slice(i, i + 30))
        .get();
      for (const d of snap.docs) {
        const id = d.get('taskId');
        inbox.set(id, d.get('createdAt').toMillis() - writes.get(id));
      }
    }
    const afterInbox = [...push].flatMap(([id, ms]) => (inbox.has(id) ? [ms - inbox.get(id)] : []));
    const result = {
      assignments: ids.length,
      gapMs: args['gap-ms'],
      inbox: stats([...inbox.values()]),
      inboxToPush: stats(afterInbox),
      push: stats([...push.values()]),
      email: stats([...email.values()]),
      missing: { push: ids.length - push.size, email: ids.length - email.size },
      goal: GOAL,
    };
    const ok =
      result.missing.push === 0 &&
      result.missing.email === 0 &&
      result.push.p50 <= GOAL.p50 &&
      result.push.p95 <= GOAL.p95;
    if (args.json) process.stdout.write(`${JSON.stringify({ ...result, ok }, null, 2)}\n`);
    else {
      const fmt = (s) =>
        `n ${s.n}, min ${s.min} ms, p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms`;
      log(`write → inbox item (trigger started): ${fmt(result.inbox)}`);
      log(`inbox item → push (the engine):       ${fmt(result.inboxToPush)}`);
      log(`write → push at the FCM transport:  ${fmt(result.push)}`);
      log(`write → email at the mail transport: ${fmt(result.email)}`);
      log(
        `${ok ? 'OK' : 'NOT OK'}: goal for the push p50 ≤ ${GOAL.p50} ms, p95 ≤ ${GOAL.p95} ms` +
          (result.missing.push + result.missing.email > 0
            ? `; never arrived: ${result.missing.push} push(es), ${result.missing.email} email(s)`
            : ''),
      );
    }
    process.exitCode = ok ? 0 : 1;
  } finally {
    await deleteApp(app);
  }
}

main().catch((err) => {
  process.stderr.write(`bench:latency: ${err.message}\n`);
  process.exit(1);
});
