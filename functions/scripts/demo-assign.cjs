#!/usr/bin/env node
// `npm run demo:assign [-- --task demo-task-1 --to bob@taskflow.test --as alice@taskflow.test]`
// The notification check of the local stack (`npm start` running): registers two devices for the
// assignee through the REST API, then — as the assigner — assigns the task with a plain Admin SDK
// write to tasks/{id} (what the Flutter app's Firestore write amounts to), and watches what the
// onTaskWritten trigger produces: the assignee's inbox item, the delivery records, the push captured
// for each device and the email captured in devOutbox; the assigner must get nothing. Prints each
// with the time since the write. The first push and email about a task go out at once, in the
// trigger's own run; further changes within the coalescing window (NOTIFY_COALESCE_SECONDS,
// default 120 s) wait for its end and are sent as one follow-up by the releaseDeliveries tick.
// Exit code 0 when everything expected arrived before --timeout (seconds, default 300).
// Env: FIRESTORE_EMULATOR_HOST, FIREBASE_AUTH_EMULATOR_HOST, TASKFLOW_API, GCLOUD_PROJECT.
'use strict';
const { randomUUID } = require('node:crypto');

const { API, FIRESTORE_HOST, PROJECT_ID, signIn } = require('./stack-client.cjs');
const POLL_MS = 200;
const SETTLE_MS = 2_000;

function parseArgs(argv) {
  const args = {
    task: 'demo-task-1',
    to: 'bob@taskflow.test',
    as: 'alice@taskflow.test',
    timeout: 300,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--help' || flag === '-h') usage();
    if (!['--task', '--to', '--as', '--timeout'].includes(flag) || value === undefined) {
      usage(`unexpected argument ${flag}`);
    }
    args[flag.slice(2)] = flag === '--timeout' ? Number(value) : value;
    i += 1;
  }
  if (!Number.isFinite(args.timeout) || args.timeout <= 0) usage('--timeout must be seconds > 0');
  return args;
}

function usage(message) {
  if (message) process.stderr.write(`demo:assign: ${message}\n`);
  process.stderr.write(
    'usage: npm run demo:assign [-- --task <taskId>] [--to <email>] [--as <email>] [--timeout <s>]\n',
  );
  process.exit(2);
}

/** Signs in to the Auth emulator: { uid, idToken }. */
/** Registers (idempotently) a phone and a tablet for the user through POST /api/users/{uid}/devices. */
async function registerDevices(user, key) {
  const devices = [
    { deviceId: `${key}-phone`, platform: 'android', token: `local-demo-fcm-token-${key}-phone` },
    { deviceId: `${key}-tablet`, platform: 'ios', token: `local-demo-fcm-token-${key}-tablet` },
  ];
  for (const device of devices) {
    const res = await fetch(`${API}/users/${user.uid}/devices`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.idToken}` },
      body: JSON.stringify(device),
    });
    if (res.status !== 201) {
      throw new Error(`registering ${device.deviceId}: HTTP ${res.status} ${await res.text()}`);
    }
  }
  return devices.map((d) => d.token);
}

const millis = (ts) =>
  ts !== null && ts !== undefined && typeof ts.toMillis === 'function' ? ts.toMillis() : 0;

async function main() {
  const args = parseArgs(process.argv.slice(2));
  process.env.FIRESTORE_EMULATOR_HOST = FIRESTORE_HOST;
  // No Google Cloud metadata server here: do not let the Admin SDK look for one.
  process.env.METADATA_SERVER_DETECTION = 'none';
  const [assigner, assignee] = await Promise.all([signIn(args.as), signIn(args.to)]);
  if (assigner.uid === assignee.uid) usage('--as and --to must be different users');
  const tokens = await registerDevices(assignee, assignee.uid);

  const { initializeApp, deleteApp } = require('firebase-admin/app');
  const { getFirestore, Timestamp } = require('firebase-admin/firestore');
  const app = initializeApp({ projectId: PROJECT_ID }, `demo-assign-${randomUUID()}`);
  const db = getFirestore(app);
  try {
    const taskRef = db.collection('tasks').doc(args.task);
    const task = await taskRef.get();
    if (!task.exists) throw new Error(`tasks/${args.task} does not exist (seeded: demo-task-1…5)`);
    if (task.get('assigneeId') === assignee.uid) {
      process.stderr.write(
        `tasks/${args.task} is already assigned to ${args.to}; pick another task ` +
          `(--task demo-task-5 is unassigned in the seed) or restart the stack\n`,
      );
      process.exitCode = 2;
      return;
    }

    const t0 = Date.now();
    const since = () => `+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s`;
    await taskRef.update({
      assigneeId: assignee.uid,
      updatedBy: assigner.uid,
      updatedAt: Timestamp.fromMillis(t0),
    });
    process.stdout.write(
      `${since()}  ${args.as} assigned tasks/${args.task} ("${task.get('title')}") to ${args.to} ` +
        `(Admin SDK write to ${FIRESTORE_HOST})\n`,
    );

    const seen = new Set();
    const note = (key, text) => {
      if (seen.has(key)) return;
      seen.add(key);
      process.stdout.write(`${since()}  ${text}\n`);
    };
    const deadline = t0 + args.timeout * 1000;
    const fresh = (ts) => millis(ts) >= t0 - 1000;
    let result;
    let settleUntil;
    for (;;) {
      const [inbox, assignerInbox, deliveries, pushes, emails] = await Promise.all([
        db.collection(`users/${assignee.uid}/notifications`).where('taskId', '==', args.task).get(),
        db.collection(`users/${assigner.uid}/notifications`).where('taskId', '==', args.task).get(),
        db.collection('deliveries').where('recipientId', '==', assignee.uid).get(),
        db.collection('devOutbox').where('kind', '==', 'push').get(),
        db.collection('devOutbox').where('kind', '==', 'email').get(),
      ]);
      const items = inbox.docs.filter((d) => fresh(d.get('createdAt')));
      const assignerItems = assignerInbox.docs.filter((d) => fresh(d.get('createdAt')));
      const records = deliveries.docs.filter(
        (d) => d.get('groupKey') === `task:${args.task}` && fresh(d.get('createdAt')),
      );
      const capturedPush = pushes.docs.filter(
        (d) =>
          fresh(d.get('capturedAt')) &&
          tokens.includes(d.get('message.token')) &&
          d.get('message.data.taskId') === args.task,
      );
      const emailRecordIds = new Set(
        records.filter((r) => (r.get('channels') ?? []).includes('email')).map((r) => r.id),
      );
      const capturedEmail = emails.docs.filter(
        (d) => fresh(d.get('capturedAt')) && emailRecordIds.has(d.get('customArgs.deliveryId')),
      );

      for (const d of items) {
        note(
          `inbox:${d.id}`,
          `inbox item users/${assignee.uid}/notifications/${d.id}: ` +
            `[${d.get('type')}] "${d.get('title')}" — ${d.get('body')}`,
        );
      }
      for (const d of assignerItems) {
        note(
          `assigner:${d.id}`,
          `UNEXPECTED: the assigner got inbox item ${d.id} (${d.get('type')})`,
        );
      }
      for (const r of records) {
        const status = r.get('status');
        const held = r.get('heldReason');
        const due = new Date(millis(r.get('dueAt'))).toISOString().slice(11, 19);
        note(
          `record:${r.id}:${status}`,
          `delivery ${(r.get('channels') ?? []).join('+').padEnd(10)} deliveries/${r.id}: ${status}` +
            (status === 'pending'
              ? ` until ${due} UTC (${held ?? 'due'}; sent by the releaseDeliveries tick)`
              : '') +
            (r.get('providerMessageId') ? ` → ${r.get('providerMessageId')}` : '') +
            (r.get('skipReason') ? ` (${r.get('skipReason')})` : ''),
        );
      }
      for (const d of capturedPush) {
        const n = d.get('message.notification') ?? {};
        note(
          `push:${d.id}`,
          `push captured devOutbox/${d.id} → token …${String(d.get('message.token')).slice(-12)}: ` +
            `"${n.title ?? ''}" — ${n.body ?? ''}`,
        );
      }
      for (const d of capturedEmail) {
        note(
          `email:${d.id}`,
          `email captured devOutbox/${d.id} → ${d.get('to')}: "${d.get('subject')}" ` +
            `(html ${d.get('html').length} chars, List-Unsubscribe ${d.get('headers')['List-Unsubscribe'] ? 'yes' : 'no'})`,
        );
      }

      const done =
        items.length >= 1 && capturedPush.length >= tokens.length && capturedEmail.length >= 1;
      // Once everything arrived, look a little longer: the records turn "sent" just after the
      // capture, and a duplicate (a second delivery of the event) would show up now.
      settleUntil ??= done ? Date.now() + SETTLE_MS : undefined;
      if ((settleUntil !== undefined && Date.now() > settleUntil) || Date.now() > deadline) {
        result = { items, assignerItems, records, capturedPush, capturedEmail, done };
        break;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }

    const { items, assignerItems, capturedPush, capturedEmail, done } = result;
    const ok =
      done &&
      items.length === 1 &&
      capturedEmail.length === 1 &&
      assignerItems.length === 0 &&
      capturedPush.length === tokens.length;
    process.stdout.write(
      `\n${ok ? 'OK' : 'NOT OK'}: ${args.to}: ${items.length} inbox item(s), ${capturedPush.length} push(es) ` +
        `captured for ${tokens.length} device(s), ${capturedEmail.length} email(s); ` +
        `${args.as}: ${assignerItems.length} inbox item(s)` +
        (done ? '' : ` — gave up after ${args.timeout} s`) +
        '\n',
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    await deleteApp(app);
  }
}

main().catch((err) => {
  process.stderr.write(`demo:assign: ${err.message}\n`);
  process.exit(1);
});
