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
const fs = createTestFirestore();
let a: TestUser;
let b: TestUser;
let c: TestUser;

beforeAll(async () => {
  setRuntimeForTesting(testRuntime(fs.db));
  [a, b, c] = await Promise.all([createTestUser(), createTestUser(), createTestUser()]);
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
    await fft.wrap(addWorkspaceMember)(as(a, { workspaceId: ws.id, userId: b.uid }));
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
