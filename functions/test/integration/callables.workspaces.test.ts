import functionsTest from 'firebase-functions-test';
import { setRuntimeForTesting } from '../../src/composition-root';
import {
  addProjectMember,
  addWorkspaceMember,
  changeWorkspaceMemberRole,
  createProject,
  createWorkspace,
  removeProjectMember,
  removeWorkspaceMember,
} from '../../src';
import { createTestUser, type TestUser } from '../support/auth';
import { callableRequest as as, httpsErrorCode as codeOf } from '../support/callable';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fft = functionsTest({ projectId: 'demo-taskflow' });

/** A callable request from a platform admin (the `admin` claim the Functions framework verified). */
function asAdmin(user: TestUser, data: unknown): never {
  return {
    data,
    auth: { uid: user.uid, token: { uid: user.uid, admin: true } },
    rawRequest: { header: (name: string) => (name === 'authorization' ? user.bearer : undefined) },
  } as never;
}
const fs = createTestFirestore();
let a: TestUser;
let b: TestUser;
let c: TestUser;
let root: TestUser;

beforeAll(async () => {
  setRuntimeForTesting(testRuntime(fs.db));
  [a, b, c, root] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser(),
    createTestUser({ admin: true }),
  ]);
});
beforeEach(async () => {
  await Promise.all([a, b, c].map((u) => fs.db.doc(`users/${u.uid}`).set({ email: u.email })));
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

describe('workspace and project callables (the Flutter door)', () => {
  it('run the same operations as REST: create, add, change role, remove', async () => {
    const ws = (await fft.wrap(createWorkspace)(as(a, { name: 'Acme' }))) as {
      id: string;
      roles: object;
    };
    expect(ws.roles).toEqual({ [a.uid]: 'owner' });
    // Adding by uid is for platform admins; a workspace owner invites by email instead.
    expect(
      await codeOf(fft.wrap(addWorkspaceMember)(as(a, { workspaceId: ws.id, userId: b.uid }))),
    ).toBe('permission-denied');
    await fft.wrap(addWorkspaceMember)(asAdmin(root, { workspaceId: ws.id, userId: b.uid }));
    await fft.wrap(changeWorkspaceMemberRole)(
      as(a, { workspaceId: ws.id, userId: b.uid, role: 'admin' }),
    );
    const project = (await fft.wrap(createProject)(as(b, { workspaceId: ws.id, name: 'P' }))) as {
      id: string;
    };
    await fft.wrap(addProjectMember)(as(b, { projectId: project.id, userId: a.uid }));
    await expect(
      fft.wrap(removeProjectMember)(as(a, { projectId: project.id, userId: a.uid })),
    ).resolves.toMatchObject({ removed: true });
    await expect(
      fft.wrap(removeWorkspaceMember)(as(b, { workspaceId: ws.id, userId: b.uid })),
    ).resolves.toEqual({
      success: true,
      removed: true,
    });
    expect((await fs.db.doc(`workspaces/${ws.id}`).get()).get('members')).toEqual([a.uid]);
  });

  it('answer unauthenticated, permission-denied, invalid-argument and failed-precondition', async () => {
    const ws = (await fft.wrap(createWorkspace)(as(a, { name: 'Acme' }))) as { id: string };
    expect(await codeOf(fft.wrap(createWorkspace)(as(null, { name: 'x' })))).toBe(
      'unauthenticated',
    );
    expect(
      await codeOf(fft.wrap(addWorkspaceMember)(as(c, { workspaceId: ws.id, userId: c.uid }))),
    ).toBe('permission-denied');
    expect(await codeOf(fft.wrap(createWorkspace)(as(a, { name: '' })))).toBe('invalid-argument');
    // 422 UNPROCESSABLE_ENTITY maps to failed-precondition: the last owner cannot leave.
    expect(
      await codeOf(fft.wrap(removeWorkspaceMember)(as(a, { workspaceId: ws.id, userId: a.uid }))),
    ).toBe('failed-precondition');
    expect(await codeOf(fft.wrap(createProject)(as(c, { workspaceId: ws.id, name: 'P' })))).toBe(
      'permission-denied',
    );
    expect((await fs.db.collection('projects').get()).size).toBe(0);
  });
});
