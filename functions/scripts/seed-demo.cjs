#!/usr/bin/env node
// Demo data for the local stack: three Auth users with a known password and a workspace, project
// and tasks they share. Idempotent (fixed ids; users and documents are only created when missing,
// so data changed during a session survives a re-seed). Emulators only: the Admin SDK is pointed at
// the emulator hosts before it is initialised, and non-demo project ids are refused.
'use strict';
const { randomUUID } = require('node:crypto');

const DEMO_PASSWORD = 'taskflow-demo';

const USERS = [
  {
    key: 'alice',
    uid: 'demo-alice',
    email: 'alice@taskflow.test',
    name: 'Alice Admin',
    admin: true,
    role: 'owner',
    timezone: 'America/New_York',
    locale: 'en-US',
  },
  {
    key: 'bob',
    uid: 'demo-bob',
    email: 'bob@taskflow.test',
    name: 'Bob Builder',
    admin: false,
    role: 'admin',
    timezone: 'Europe/London',
    locale: 'en-GB',
  },
  {
    key: 'carol',
    uid: 'demo-carol',
    email: 'carol@taskflow.test',
    name: 'Carol Chen',
    admin: false,
    role: 'member',
    timezone: 'Asia/Kolkata',
    locale: 'en-IN',
  },
];

const WORKSPACE_ID = 'demo-workspace';
const PROJECT_ID = 'demo-project';
const DAY_MS = 24 * 60 * 60 * 1000;

function codeOf(e) {
  return typeof e === 'object' && e !== null && 'code' in e ? e.code : undefined;
}

/** The Auth user of `spec`, created when missing; an existing user keeps its uid and password. */
async function ensureUser(auth, spec) {
  let user;
  try {
    user = await auth.getUserByEmail(spec.email);
  } catch (e) {
    if (codeOf(e) !== 'auth/user-not-found') throw e;
    user = await auth.createUser({
      uid: spec.uid,
      email: spec.email,
      password: DEMO_PASSWORD,
      displayName: spec.name,
      emailVerified: true,
    });
  }
  // Claims are re-applied every time so the admin flag is right even for a pre-existing account.
  await auth.setCustomUserClaims(user.uid, spec.admin ? { admin: true } : null);
  return { ...spec, uid: user.uid };
}

function demoDocuments(users, Timestamp) {
  const now = Date.now();
  const at = (offsetDays) => Timestamp.fromMillis(now + offsetDays * DAY_MS);
  const [alice, bob, carol] = users;
  const uids = users.map((u) => u.uid);
  const docs = {};
  for (const u of users) {
    docs[`users/${u.uid}`] = {
      name: u.name,
      email: u.email,
      photoUrl: null,
      timezone: u.timezone,
      locale: u.locale,
      createdAt: at(0),
      updatedAt: at(0),
    };
  }
  docs[`workspaces/${WORKSPACE_ID}`] = {
    name: 'TaskFlow Demo',
    description: 'Sample workspace created by the local stack',
    ownerId: alice.uid,
    members: uids,
    roles: Object.fromEntries(users.map((u) => [u.uid, u.role])),
    createdAt: at(0),
    updatedAt: at(0),
  };
  docs[`projects/${PROJECT_ID}`] = {
    name: 'Website relaunch',
    description: 'Redesign and relaunch the marketing site',
    workspaceId: WORKSPACE_ID,
    ownerId: alice.uid,
    members: uids,
    createdAt: at(0),
    updatedAt: at(0),
  };
  const tasks = [
    ['demo-task-1', 'Draft the relaunch plan', alice, 'in_progress', 'high', 2],
    ['demo-task-2', 'Set up the staging site', bob, 'todo', 'medium', 5],
    ['demo-task-3', 'Write the launch announcement', carol, 'todo', 'low', 10],
    ['demo-task-4', 'Collect brand assets', bob, 'done', 'medium', -1],
    ['demo-task-5', 'Decide on analytics', null, 'todo', 'low', null],
  ];
  for (const [id, title, assignee, status, priority, dueInDays] of tasks) {
    docs[`tasks/${id}`] = {
      title,
      description: `${title} (demo task)`,
      projectId: PROJECT_ID,
      workspaceId: WORKSPACE_ID,
      assigneeId: assignee?.uid ?? null,
      createdBy: alice.uid,
      updatedBy: alice.uid,
      status,
      priority,
      dueDate: dueInDays === null ? null : at(dueInDays),
      completedAt: status === 'done' ? at(-2) : null,
      recurrence: null,
      deletedAt: null,
      createdAt: at(-3),
      updatedAt: at(-3),
    };
  }
  return docs;
}

/**
 * Seeds the emulators. Resolves to { password, users: [{ key, uid, email, name, admin }],
 * workspaceId, projectId, taskIds, created } where `created` counts the documents written.
 * @param {{ projectId?: string, authHost?: string, firestoreHost?: string }} [options]
 */
async function seedDemo(options = {}) {
  const projectId = options.projectId ?? process.env.GCLOUD_PROJECT ?? 'demo-taskflow';
  // Always the emulators (never a real project's data, whatever its id): the Admin SDK reads these
  // when its services are first used; set them before that.
  process.env.FIREBASE_AUTH_EMULATOR_HOST =
    options.authHost ?? process.env.FIREBASE_AUTH_EMULATOR_HOST ?? '127.0.0.1:9099';
  process.env.FIRESTORE_EMULATOR_HOST =
    options.firestoreHost ?? process.env.FIRESTORE_EMULATOR_HOST ?? '127.0.0.1:8080';

  const { initializeApp, deleteApp } = require('firebase-admin/app');
  const { getAuth } = require('firebase-admin/auth');
  const { getFirestore, Timestamp } = require('firebase-admin/firestore');
  // A named app of its own, so seeding never clashes with (or tears down) a caller's default app.
  const app = initializeApp({ projectId }, `taskflow-seed-${randomUUID()}`);
  try {
    const auth = getAuth(app);
    const db = getFirestore(app);
    // Documents first, Auth users second: creating a user fires onUserCreated, which then finds
    // the demo profile and only adds the fields it lacks (preferences) instead of racing this
    // seed with a default profile (timezone UTC).
    const docs = demoDocuments(USERS, Timestamp);
    const refs = Object.keys(docs).map((p) => db.doc(p));
    const snaps = await db.getAll(...refs);
    const batch = db.batch();
    let created = 0;
    for (const snap of snaps) {
      if (snap.exists) continue;
      batch.create(snap.ref, docs[snap.ref.path]);
      created += 1;
    }
    if (created > 0) await batch.commit();
    const users = [];
    for (const spec of USERS) {
      const user = await ensureUser(auth, spec);
      if (user.uid !== spec.uid) {
        process.stderr.write(
          `[seed] ${spec.email} already exists with uid ${user.uid}, not ${spec.uid}\n`,
        );
      }
      users.push(user);
    }

    return {
      password: DEMO_PASSWORD,
      users: users.map(({ key, uid, email, name, admin }) => ({ key, uid, email, name, admin })),
      workspaceId: WORKSPACE_ID,
      projectId: PROJECT_ID,
      taskIds: Object.keys(docs)
        .filter((p) => p.startsWith('tasks/'))
        .map((p) => p.slice('tasks/'.length)),
      created,
    };
  } finally {
    await deleteApp(app);
  }
}

/**
 * Waits until the functions have reacted to the seed: every demo user's profile carries the
 * preferences onUserCreated adds, and every demo task assigned by someone else is in its
 * assignee's inbox (onTaskWritten ran). The first run of each function starts its worker, which
 * takes seconds on a busy machine; waiting here keeps that out of the first write a user makes
 * after "ready". Resolves to { settled, ms, waitingFor } (waitingFor: what had not happened when
 * `timeoutMs` ran out — the stack is usable anyway).
 * @param {{ projectId?: string, firestoreHost?: string, timeoutMs?: number }} [options]
 */
async function waitForSeedEffects(options = {}) {
  const projectId = options.projectId ?? process.env.GCLOUD_PROJECT ?? 'demo-taskflow';
  process.env.FIRESTORE_EMULATOR_HOST =
    options.firestoreHost ?? process.env.FIRESTORE_EMULATOR_HOST ?? '127.0.0.1:8080';
  const timeoutMs = options.timeoutMs ?? 120_000;
  const { initializeApp, deleteApp } = require('firebase-admin/app');
  const { getFirestore, Timestamp } = require('firebase-admin/firestore');
  const app = initializeApp({ projectId }, `taskflow-seed-wait-${randomUUID()}`);
  const started = Date.now();
  try {
    const db = getFirestore(app);
    const docs = demoDocuments(USERS, Timestamp);
    const checks = [
      ...USERS.map((u) => ({
        what: `onUserCreated for ${u.uid}`,
        done: async () =>
          (await db.doc(`users/${u.uid}`).get()).get('notificationPreferences.digestHour') !==
          undefined,
      })),
      ...Object.entries(docs)
        .filter(([p, d]) => p.startsWith('tasks/') && d.assigneeId && d.assigneeId !== d.createdBy)
        .map(([p, d]) => ({
          what: `onTaskWritten for ${p}`,
          done: async () =>
            !(
              await db
                .collection(`users/${d.assigneeId}/notifications`)
                .where('taskId', '==', p.slice('tasks/'.length))
                .limit(1)
                .get()
            ).empty,
        })),
    ];
    let waiting = checks;
    for (;;) {
      const results = await Promise.all(waiting.map((c) => c.done()));
      waiting = waiting.filter((_, i) => !results[i]);
      const ms = Date.now() - started;
      if (waiting.length === 0) return { settled: true, ms, waitingFor: [] };
      if (ms >= timeoutMs) return { settled: false, ms, waitingFor: waiting.map((c) => c.what) };
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await deleteApp(app);
  }
}

module.exports = { seedDemo, waitForSeedEffects, demoDocuments, DEMO_PASSWORD };

if (require.main === module) {
  seedDemo().then(
    (seed) => {
      for (const u of seed.users) {
        process.stdout.write(`${u.email.padEnd(22)} uid ${u.uid}${u.admin ? ' (admin)' : ''}\n`);
      }
      process.stdout.write(
        `password ${seed.password}; ${seed.created} document(s) created, the rest already there\n`,
      );
    },
    (err) => {
      process.stderr.write(`seeding failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
