import functionsTest from 'firebase-functions-test';
import request from 'supertest';
import type { Express } from 'express';
import { setRuntimeForTesting } from '../../src/composition-root';
import { FixedClock } from '../../src/core/clock';
import { acceptInvitation, inviteToWorkspace, listMyInvitations } from '../../src';
import { createApp } from '../../src/http/app';
import { operations } from '../../src/operations/registry';
import { createTestUser, type TestUser } from '../support/auth';
import { httpsErrorCode as codeOf } from '../support/callable';
import { createTestFirestore } from '../support/firestore';
import { testRuntime } from '../support/runtime';

const fft = functionsTest({ projectId: 'demo-taskflow' });
const fs = createTestFirestore();
const clock = new FixedClock('2026-11-23T10:00:00Z');
const runtime = testRuntime(fs.db, { clock });
let app: Express;
let owner: TestUser; // owns the workspace
let member: TestUser; // a plain member
let bob: TestUser; // has an account, verified address: the usual invitee
let carol: TestUser; // verified, but not the invitee
let una: TestUser; // unverified address
let ws: string;

beforeAll(async () => {
  setRuntimeForTesting(runtime);
  app = createApp(runtime, operations);
  [owner, member, bob, carol, una] = await Promise.all([
    createTestUser(),
    createTestUser(),
    createTestUser({ verified: true }),
    createTestUser({ verified: true }),
    createTestUser(),
  ]);
});

beforeEach(async () => {
  clock.set('2026-11-23T10:00:00Z');
  runtime.mail.sent.length = 0;
  await Promise.all(
    [owner, member, bob, carol, una].map((u) => fs.db.doc(`users/${u.uid}`).set({ name: 'U' })),
  );
  await fs.db.doc('workspaces/w1').set({
    name: 'Acme',
    description: '',
    ownerId: owner.uid,
    members: [owner.uid, member.uid],
    roles: { [owner.uid]: 'owner', [member.uid]: 'member' },
    createdAt: new Date('2026-11-01T00:00:00Z'),
    updatedAt: new Date('2026-11-01T00:00:00Z'),
  });
  ws = 'w1';
});
afterEach(() => fs.clear());
afterAll(async () => {
  setRuntimeForTesting(undefined);
  fft.cleanup();
  await fs.dispose();
});

function invite(by: TestUser, body: object) {
  return request(app)
    .post(`/api/workspaces/${ws}/invitations`)
    .set('Authorization', by.bearer)
    .send(body);
}
function act(by: TestUser, id: string, action: 'accept' | 'decline' | 'revoke') {
  return request(app).post(`/api/invitations/${id}/${action}`).set('Authorization', by.bearer);
}
async function inbox(user: TestUser) {
  return (await fs.db.collection(`users/${user.uid}/notifications`).get()).docs.map((d) =>
    d.data(),
  );
}
async function workspace() {
  return (await fs.db.doc(`workspaces/${ws}`).get()).data() ?? {};
}

describe('inviting', () => {
  it('a member invites an account holder: inbox item, and email to the invited address', async () => {
    const res = await invite(member, { email: bob.email.toUpperCase() }).expect(201);
    expect(res.body).toMatchObject({
      workspaceId: ws,
      workspaceName: 'Acme',
      email: bob.email,
      role: 'member',
      status: 'pending',
      invitedBy: member.uid,
      expiresAt: '2026-12-07T10:00:00.000Z',
    });
    const items = await inbox(bob);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ type: 'workspace_invitation', title: 'Invitation to Acme' });
    expect(runtime.mail.sent.map((m) => [m.to, m.category])).toEqual([
      [bob.email, 'workspace_invitation'],
    ]);
    const mail = runtime.mail.sent[0];
    expect(mail?.subject).toContain('invited you to Acme');
    expect(mail?.text).toContain(`/invitations/${String(res.body.id)}`);
    // Nobody joins by being invited.
    expect((await workspace()).members).toEqual([owner.uid, member.uid]);
  });

  it('an address without an account gets the email only', async () => {
    await invite(owner, { email: 'someone.new@example.test' }).expect(201);
    expect(runtime.mail.sent.map((m) => m.to)).toEqual(['someone.new@example.test']);
    for (const u of [bob, carol, una]) expect(await inbox(u)).toEqual([]);
  });

  it('inviting the same address twice while pending returns the same invitation, notified once', async () => {
    const first = await invite(member, { email: bob.email }).expect(201);
    const again = await invite(member, { email: bob.email }).expect(201);
    expect(again.body).toEqual(first.body);
    expect(await inbox(bob)).toHaveLength(1);
    expect(runtime.mail.sent).toHaveLength(1);
    // The same address with another role is a conflict: revoke first.
    await invite(owner, { email: bob.email, role: 'admin' }).expect(409);
  });

  it('only owners grant owner or admin; members grant member; outsiders nothing', async () => {
    await invite(member, { email: bob.email, role: 'admin' }).expect(403);
    await invite(member, { email: bob.email, role: 'owner' }).expect(403);
    await invite(carol, { email: bob.email }).expect(403);
    await invite(owner, { email: bob.email, role: 'admin' }).expect(201);
  });

  it('rejects a bad address or role naming the field, and an existing member (409)', async () => {
    const bad = await invite(owner, { email: 'not-an-address' }).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ field: 'email' })]);
    await invite(owner, { email: bob.email, role: 'boss' }).expect(400);
    await invite(owner, { email: member.email }).expect(409);
    expect(await fs.db.collection('invitations').get()).toHaveProperty('size', 0);
  });
});

describe('answering', () => {
  let id: string;
  beforeEach(async () => {
    id = (await invite(owner, { email: bob.email, role: 'admin' }).expect(201)).body.id as string;
  });

  it('accepting (verified, invited address) starts membership with the role; twice is fine', async () => {
    const res = await act(bob, id, 'accept').expect(200);
    expect(res.body.invitation).toMatchObject({ status: 'accepted' });
    expect(res.body.workspace.roles[bob.uid]).toBe('admin');
    const again = await act(bob, id, 'accept').expect(200);
    expect(again.body).toEqual(res.body);
    const stored = await workspace();
    expect(stored.members).toEqual([owner.uid, member.uid, bob.uid]);
    // The address is proven: the profile's email (where notifications go) is set to it.
    expect((await fs.db.doc(`users/${bob.uid}`).get()).get('email')).toBe(bob.email);
  });

  it('nobody else accepts it: another account (404), an unverified address (400)', async () => {
    await act(carol, id, 'accept').expect(404);
    const unverified = (await invite(owner, { email: una.email }).expect(201)).body.id as string;
    const res = await act(una, unverified, 'accept').expect(400);
    expect(res.body).toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((await workspace()).members).toEqual([owner.uid, member.uid]);
  });

  it('declined, revoked or expired invitations cannot be accepted', async () => {
    await act(bob, id, 'decline').expect(200);
    await act(bob, id, 'decline').expect(200);
    await act(bob, id, 'accept').expect(400);

    const carolInv = (await invite(member, { email: carol.email }).expect(201)).body.id as string;
    await act(bob, carolInv, 'revoke').expect(404); // not a member: cannot even see it
    await act(member, carolInv, 'revoke').expect(200); // the inviter
    await act(carol, carolInv, 'accept').expect(400);

    const again = (await invite(owner, { email: bob.email }).expect(201)).body;
    expect(again).toMatchObject({ id, status: 'pending' }); // an ended one is renewed
    clock.advance(14 * 86_400_000);
    await act(bob, id, 'accept').expect(400);
    const listed = await request(app)
      .get(`/api/workspaces/${ws}/invitations`)
      .set('Authorization', member.bearer)
      .expect(200);
    expect(listed.body.invitations).toEqual([expect.objectContaining({ id, status: 'expired' })]);
    expect((await workspace()).members).toEqual([owner.uid, member.uid]);
  });

  it('a plain member who did not invite cannot revoke; an owner can', async () => {
    await act(member, id, 'revoke').expect(403);
    await act(owner, id, 'revoke').expect(200);
    await act(owner, id, 'revoke').expect(200);
  });
});

describe('listing', () => {
  it('the workspace lists its open invitations for members; outsiders get 403', async () => {
    await invite(owner, { email: bob.email }).expect(201);
    clock.advance(1000);
    await invite(owner, { email: 'x@example.test' }).expect(201);
    const res = await request(app)
      .get(`/api/workspaces/${ws}/invitations`)
      .set('Authorization', member.bearer)
      .expect(200);
    expect(res.body.invitations.map((i: { email: string }) => i.email)).toEqual([
      'x@example.test',
      bob.email,
    ]);
    await request(app)
      .get(`/api/workspaces/${ws}/invitations`)
      .set('Authorization', carol.bearer)
      .expect(403);
  });

  it('the invitee lists theirs by verified address; an unverified address is told to verify', async () => {
    await invite(owner, { email: bob.email }).expect(201);
    const mine = await request(app).get('/api/invitations').set('Authorization', bob.bearer);
    expect(mine.status).toBe(200);
    expect(mine.body.invitations).toEqual([expect.objectContaining({ workspaceName: 'Acme' })]);
    const none = await request(app).get('/api/invitations').set('Authorization', carol.bearer);
    expect(none.body.invitations).toEqual([]);
    await request(app).get('/api/invitations').set('Authorization', una.bearer).expect(400);
  });
});

describe('callables (the app door)', () => {
  /** The request the Functions framework hands a callable after verifying `user`'s token. */
  function as(user: TestUser, data: unknown, verified: boolean): never {
    return {
      data,
      auth: {
        uid: user.uid,
        token: { uid: user.uid, email: user.email, email_verified: verified },
      },
      rawRequest: { header: () => undefined },
    } as never;
  }

  it('invite, list and accept end to end', async () => {
    const inv = (await fft.wrap(inviteToWorkspace)(
      as(owner, { workspaceId: ws, email: bob.email }, false),
    )) as { id: string };
    const listed = (await fft.wrap(listMyInvitations)(as(bob, {}, true))) as {
      invitations: { id: string }[];
    };
    expect(listed.invitations.map((i) => i.id)).toEqual([inv.id]);
    expect(await codeOf(fft.wrap(acceptInvitation)(as(bob, { invitationId: inv.id }, false)))).toBe(
      'failed-precondition',
    );
    await fft.wrap(acceptInvitation)(as(bob, { invitationId: inv.id }, true));
    expect((await workspace()).members).toContain(bob.uid);
  });
});
