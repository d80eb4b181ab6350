import type { AddressInfo } from 'node:net';
import http from 'node:http';
import { deleteApp as deleteAdminApp, initializeApp as initAdminApp } from 'firebase-admin/app';
import { getAuth as getAdminAuth } from 'firebase-admin/auth';
import { getFirestore as getAdminFirestore } from 'firebase-admin/firestore';
import { deleteApp, initializeApp, type FirebaseApp } from 'firebase/app';
import {
  connectAuthEmulator,
  createUserWithEmailAndPassword,
  getAuth,
  signOut,
} from 'firebase/auth';
import {
  collection,
  connectFirestoreEmulator,
  getDocs,
  getFirestore,
  onSnapshot,
  orderBy,
  query,
  terminate,
  where,
  type Firestore as ClientFirestore,
  type QueryConstraint,
} from 'firebase/firestore';
import {
  connectFunctionsEmulator,
  FunctionsError,
  getFunctions,
  httpsCallable,
  type Functions,
} from 'firebase/functions';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setRuntimeForTesting } from '../../src/composition-root';
import type { QueryShape } from '../../src/core/query-shape';
import { CLIENT_QUERIES } from '../../src/domain/query-catalog';
import { operations } from '../../src/operations/registry';
import { AUTH_PROJECT_ID } from '../support/auth-emulator';
import { testRuntime } from '../support/runtime';

/**
 * The app's view of the backend, through the official `firebase` JS SDK (the same wire protocols
 * as FlutterFire): users sign up with the Auth emulator, call the callables with `httpsCallable`
 * (served here by a small HTTP server with the Functions emulator's URL layout
 * `/{project}/{region}/{name}`, each route the exported onCall function itself), and read
 * Firestore under firestore.rules in the official emulator.
 */
const PROJECT = AUTH_PROJECT_ID;
const REGION = 'us-central1';
const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST ?? '';
const authHost = process.env.FIREBASE_AUTH_EMULATOR_HOST ?? '';

const adminApp = initAdminApp({ projectId: PROJECT });
const adminDb = getAdminFirestore(adminApp);
adminDb.settings({ ignoreUndefinedProperties: true });
let runtime: ReturnType<typeof testRuntime>;

let server: http.Server;
let port = 0;

interface Client {
  uid: string;
  email: string;
  /** Marks the address verified (as the app's email link would) and refreshes the ID token. */
  verifyEmail(): Promise<void>;
  app: FirebaseApp;
  fn: Functions;
  db: ClientFirestore;
  call<T = Record<string, unknown>>(name: string, data?: object): Promise<T>;
}
const clients: Client[] = [];

async function client(name: string, signedIn = true): Promise<Client> {
  const app = initializeApp(
    { projectId: PROJECT, apiKey: 'fake-api-key', appId: `1:1:web:${name}` },
    `${name}-${Math.random().toString(36).slice(2, 8)}`,
  );
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${authHost}`, { disableWarnings: true });
  let uid = '';
  let email = '';
  if (signedIn) {
    const cred = await createUserWithEmailAndPassword(
      auth,
      `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}@taskflow.test`,
      'secret-password',
    );
    uid = cred.user.uid;
    email = cred.user.email ?? '';
    await adminDb.doc(`users/${uid}`).set({ email: cred.user.email, name, timezone: 'UTC' });
  }
  const fn = getFunctions(app, REGION);
  connectFunctionsEmulator(fn, '127.0.0.1', port);
  const db = getFirestore(app);
  const [host, fsPort] = firestoreHost.split(':');
  connectFirestoreEmulator(db, host ?? '127.0.0.1', Number(fsPort));
  const c: Client = {
    uid,
    email,
    async verifyEmail() {
      await getAdminAuth(adminApp).updateUser(uid, { emailVerified: true });
      await auth.currentUser?.getIdToken(true);
    },
    app,
    fn,
    db,
    call: async <T>(callable: string, data: object = {}) =>
      (await httpsCallable<object, T>(fn, callable)(data)).data,
  };
  clients.push(c);
  if (!signedIn) await signOut(auth);
  return c;
}

/** The FunctionsError code a call failed with ('ok' if it did not). */
async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof FunctionsError) return e.code.replace(/^functions\//, '');
    throw e;
  }
}

async function loadRules(): Promise<void> {
  const rules = readFileSync(path.join(__dirname, '../../../firestore.rules'), 'utf8');
  const res = await fetch(`http://${firestoreHost}/emulator/v1/projects/${PROJECT}:securityRules`, {
    method: 'PUT',
    body: JSON.stringify({ rules: { files: [{ content: rules }] } }),
  });
  if (!res.ok) throw new Error(`loading firestore.rules failed: ${res.status}`);
}

async function clearFirestore(): Promise<void> {
  const res = await fetch(
    `http://${firestoreHost}/emulator/v1/projects/${PROJECT}/databases/(default)/documents`,
    { method: 'DELETE' },
  );
  if (!res.ok) throw new Error(`clearing Firestore failed: ${res.status}`);
}

beforeAll(async () => {
  // The Functions framework logs a verification line per call at debug level.
  jest.spyOn(console, 'debug').mockImplementation(() => undefined);
  await loadRules();
  await clearFirestore();
  runtime = testRuntime(adminDb, {
    config: { notifications: { coalesceWindowSeconds: 0 } as never },
  });
  setRuntimeForTesting(runtime);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const index = require('../../src/index') as Record<
    string,
    ((req: unknown, res: unknown) => unknown) | undefined
  >;
  server = http.createServer((req, res) => {
    const [, project, region, name] = (req.url ?? '').split('?')[0]!.split('/');
    const handler = name === undefined ? undefined : index[name];
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (project !== PROJECT || region !== REGION || handler === undefined) {
        res.writeHead(404).end();
        return;
      }
      // What the Functions framework hands a v2 onCall function: an Express-like request.
      const parsed: unknown = body === '' ? {} : JSON.parse(body);
      const request = Object.assign(req, {
        body: parsed,
        rawBody: Buffer.from(body),
        header: (h: string) => req.headers[h.toLowerCase()],
        get: (h: string) => req.headers[h.toLowerCase()],
      });
      const response = Object.assign(res, {
        status(code: number) {
          res.statusCode = code;
          return response;
        },
        set(name: string, value: string) {
          res.setHeader(name, value);
          return response;
        },
        send(payload: unknown) {
          if (!res.headersSent && typeof payload === 'object') {
            res.setHeader('Content-Type', 'application/json');
          }
          res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
          return response;
        },
        json(payload: unknown) {
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(payload));
          return response;
        },
      });
      void Promise.resolve(handler(request, response));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const c of clients) {
    await terminate(c.db);
    await deleteApp(c.app);
  }
  await new Promise((resolve) => server.close(resolve));
  setRuntimeForTesting(undefined);
  await clearFirestore();
  await adminDb.terminate();
  await deleteAdminApp(adminApp);
});

describe('every callable, through httpsCallable', () => {
  it('is served under its operation name and refuses an anonymous caller', async () => {
    const anonymous = await client('anon', false);
    const codes = await Promise.all(
      operations.map(async (op) => [op.name, await codeOf(anonymous.call(op.name, {}))] as const),
    );
    expect(Object.fromEntries(codes)).toEqual(
      Object.fromEntries(operations.map((op) => [op.name, 'unauthenticated'])),
    );
  });
});

describe('the app, signed in', () => {
  let ann: Client; // workspace and project owner
  let bob: Client; // member
  let eve: Client; // outsider
  let workspaceId: string;
  let projectId: string;

  beforeAll(async () => {
    [ann, bob, eve] = [await client('ann'), await client('bob'), await client('eve')];
    workspaceId = (await ann.call<{ id: string }>('createWorkspace', { name: 'Acme' })).id;
    // A teammate joins by invitation: invited by address, accepted with that address verified.
    const invitation = await ann.call<{ id: string; status: string }>('inviteToWorkspace', {
      workspaceId,
      email: bob.email,
    });
    expect(invitation.status).toBe('pending');
    await bob.verifyEmail();
    await bob.call('acceptInvitation', { invitationId: invitation.id });
    projectId = (await ann.call<{ id: string }>('createProject', { workspaceId, name: 'Launch' }))
      .id;
    await ann.call('addProjectMember', { projectId, userId: bob.uid });
  });

  it('an invitation, end to end: the invitee sees it, accepts it, and becomes a member', async () => {
    const carol = await client('carol');
    // Non-admins cannot add a uid without consent.
    expect(await codeOf(ann.call('addWorkspaceMember', { workspaceId, userId: carol.uid }))).toBe(
      'permission-denied',
    );
    const sent = await ann.call<{ id: string }>('inviteToWorkspace', {
      workspaceId,
      email: carol.email,
    });
    // Inviting again while pending answers the same invitation.
    expect(
      (await ann.call<{ id: string }>('inviteToWorkspace', { workspaceId, email: carol.email })).id,
    ).toBe(sent.id);
    // Not yet verified: the address is not proven to be theirs.
    expect(await codeOf(carol.call('acceptInvitation', { invitationId: sent.id }))).not.toBe('ok');
    await carol.verifyEmail();
    const mine = await carol.call<{ invitations: { id: string }[] }>('listMyInvitations', {});
    expect(mine.invitations.map((i) => i.id)).toEqual([sent.id]);
    // The invitee reads it through the Firestore SDK too (rules: their verified address).
    const direct = await getDocs(
      query(collection(carol.db, 'invitations'), where('email', '==', carol.email.toLowerCase())),
    ).then(
      (snap) => snap.size,
      (e: unknown) => (e as { code?: string }).code ?? String(e),
    );
    expect(direct).toBe(1);
    // Before accepting, the workspace is not theirs.
    expect(await codeOf(carol.call('getWorkspace', { workspaceId }))).toBe('permission-denied');
    await carol.call('acceptInvitation', { invitationId: sent.id });
    await carol.call('acceptInvitation', { invitationId: sent.id }); // twice is fine
    const ws = await carol.call<{ members: string[] }>('getWorkspace', { workspaceId });
    expect(ws.members).toContain(carol.uid);
    // The inbox item reached carol's account when she was invited.
    const inbox = await getDocs(collection(carol.db, `users/${carol.uid}/notifications`));
    expect(inbox.docs.map((d) => d.data().type)).toContain('workspace_invitation');
  });

  it('answers results, and FunctionsError codes for what the app gets wrong', async () => {
    const task = await ann.call<{ id: string; assigneeId: string }>('createTask', {
      projectId,
      title: 'Write the launch post',
      assigneeId: bob.uid,
    });
    expect(task.assigneeId).toBe(bob.uid);
    expect(await bob.call('getTask', { taskId: task.id })).toMatchObject({ id: task.id });
    const listed = await bob.call<{ tasks: { id: string }[] }>('listTasks', { projectId });
    expect(listed.tasks.map((t) => t.id)).toEqual([task.id]);
    expect(await bob.call('listWorkspaces')).toMatchObject({ workspaces: [{ id: workspaceId }] });

    expect({
      permissionDenied: await codeOf(eve.call('getProject', { projectId })),
      invalidArgument: await codeOf(ann.call('createWorkspace', { name: '' })),
      snakeCaseField: await codeOf(bob.call('listNotifications', { unread_only: true })),
      notFound: await codeOf(ann.call('getTask', { taskId: 'no-such-task' })),
      // Inviting an address again with another role while its invitation is pending.
      alreadyExists: await ann
        .call('inviteToWorkspace', { workspaceId, email: 'dan@taskflow.test' })
        .then(() =>
          codeOf(
            ann.call('inviteToWorkspace', {
              workspaceId,
              email: 'dan@taskflow.test',
              role: 'admin',
            }),
          ),
        ),
      failedPrecondition: await codeOf(
        ann.call('removeWorkspaceMember', { workspaceId, userId: ann.uid }),
      ),
    }).toEqual({
      permissionDenied: 'permission-denied',
      invalidArgument: 'invalid-argument',
      snakeCaseField: 'invalid-argument',
      notFound: 'not-found',
      alreadyExists: 'already-exists',
      failedPrecondition: 'failed-precondition',
    });
    const bad = await ann.call('createWorkspace', { name: '' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(FunctionsError);
    expect((bad as FunctionsError).details).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: [expect.objectContaining({ field: 'name' })],
    });
  });

  it('answers resource-exhausted past the per-user rate limit', async () => {
    setRuntimeForTesting(
      testRuntime(adminDb, { config: { rateLimit: { userPerMinute: 2, ipPerMinute: 0 } } }),
    );
    try {
      const codes = [];
      for (let i = 0; i < 3; i += 1) codes.push(await codeOf(eve.call('getUnreadCount')));
      expect(codes).toEqual(['ok', 'ok', 'resource-exhausted']);
    } finally {
      setRuntimeForTesting(runtime);
    }
  });

  it('onSnapshot on the inbox: exactly one item for one assignment notified twice', async () => {
    const task = await ann.call<{ id: string }>('createTask', {
      projectId,
      title: 'Review the post',
      assigneeId: bob.uid,
    });
    const seen = new Set<string>();
    let resolveFirst: () => void = () => undefined;
    const first = new Promise<void>((r) => (resolveFirst = r));
    const unsubscribe = onSnapshot(
      query(collection(bob.db, `users/${bob.uid}/notifications`), orderBy('createdAt', 'desc')),
      (snap) => {
        // Bob's inbox also holds the invitation he accepted to join; only task items count here.
        for (const d of snap.docs) if (d.data().type !== 'workspace_invitation') seen.add(d.id);
        if (seen.size > 0) resolveFirst();
      },
    );
    try {
      const notify = () =>
        ann.call<{ success: boolean; messageId: string }>('notifyTaskAssignment', {
          assigneeId: bob.uid,
          taskId: task.id,
          projectId,
        });
      const once = await notify();
      // The app saves the task again with the same assignee, then notifies again.
      await ann.call('updateTask', { taskId: task.id, assigneeId: bob.uid, priority: 'high' });
      const twice = await notify();
      expect(twice).toEqual(once);
      await first;
      // Read the inbox once more through the SDK: the listener has seen everything there is.
      const inbox = await getDocs(collection(bob.db, `users/${bob.uid}/notifications`));
      expect(
        inbox.docs.filter((d) => d.data().type !== 'workspace_invitation').map((d) => d.id),
      ).toEqual([once.messageId]);
      expect([...seen]).toEqual([once.messageId]);
    } finally {
      unsubscribe();
    }
  });

  // The query as the app builds it, for `who`: "me" fields are the caller, ids are the test's.
  const runValues = {
    assigneeId: '',
    deletedAt: null,
    projectId: '',
    status: 'todo',
    read: false,
    workspaceId: '',
  };
  const run = (who: Client, shape: QueryShape) => {
    const values: Record<string, unknown> = {
      ...runValues,
      assigneeId: who.uid,
      projectId,
      workspaceId,
    };
    const constraints: QueryConstraint[] = [
      ...shape.equals.map((f) => where(f, '==', values[f])),
      ...(shape.arrayContains === undefined
        ? []
        : [where(shape.arrayContains, 'array-contains', who.uid)]),
      ...shape.orderBy.map(([f, d]) => orderBy(f, d)),
    ];
    const path =
      shape.collection === 'notifications' ? `users/${who.uid}/notifications` : shape.collection;
    return getDocs(query(collection(who.db, path), ...constraints)).then(
      (snap) => snap.size,
      (e: unknown) => (e as { code?: string }).code ?? String(e),
    );
  };
  const describeShape = (shape: QueryShape) =>
    `${shape.collection} where ${[...shape.equals, shape.arrayContains ?? ''].filter(Boolean).join(', ')}`;
  // Queries whose values this suite can fill in (the caller, the test's workspace and project);
  // the others — invitations by verified address — need accounts with a verified email, and are
  // run as member and outsider, like every catalogued query, by test/rules/client-queries.rules.test.ts.
  const fillable = (shape: QueryShape) => shape.equals.every((f) => f in runValues);

  it.each(CLIENT_QUERIES.filter(fillable).map((q) => [describeShape(q), q] as const))(
    'catalogued query %s: a member runs it, an outsider is refused or sees nothing',
    async (_, shape) => {
      await ann.call('createTask', { projectId, title: 'Plan', assigneeId: bob.uid });
      expect(typeof (await run(bob, shape))).toBe('number');
      // Narrowed to the caller ("me", their own inbox): their own, none here. Otherwise scoped by a
      // project or workspace they are not in: refused.
      const narrowedToCaller =
        shape.arrayContains !== undefined ||
        shape.equals.includes('assigneeId') ||
        shape.collection === 'notifications';
      expect(await run(eve, shape)).toBe(narrowedToCaller ? 0 : 'permission-denied');
    },
  );

  it('"my tasks across my projects" returns the caller\'s assigned tasks', async () => {
    await ann.call('createTask', { projectId, title: 'Mine', assigneeId: bob.uid });
    const mine = CLIENT_QUERIES.find(
      (q) => q.collection === 'tasks' && q.equals.includes('assigneeId'),
    );
    expect(mine).toBeDefined();
    if (mine !== undefined) expect(await run(bob, mine)).toBeGreaterThan(0);
  });
});
