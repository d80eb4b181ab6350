import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import { deleteField, serverTimestamp } from 'firebase/firestore';
import { chars, clientNow, PAST, useRulesEnv } from './rules-env';

// projects/{id}: project members read; the project's owner and the workspace's owners and admins
// rename; membership and ownership change only through the callables, which also create and
// delete projects.
//
// Cast: in workspace w1 olivia is the owner, adam an admin, mia, pete and sam members. Project p1
// (owner pete, members pete and mia) and p2 (owner sam) are in w1. Nina owns w2 and its project
// p3. Eve is in nothing.

const rules = useRulesEnv(() => ({
  'workspaces/w1': {
    name: 'Acme',
    description: '',
    ownerId: 'olivia',
    members: ['olivia', 'adam', 'mia', 'pete', 'sam'],
    roles: { olivia: 'owner', adam: 'admin', mia: 'member', pete: 'member', sam: 'member' },
    createdAt: PAST,
    updatedAt: PAST,
  },
  'workspaces/w2': {
    name: 'Nina’s place',
    description: '',
    ownerId: 'nina',
    members: ['nina'],
    roles: { nina: 'owner' },
    createdAt: PAST,
    updatedAt: PAST,
  },
  'projects/p1': {
    name: 'Launch',
    description: 'Ship version 1',
    workspaceId: 'w1',
    ownerId: 'pete',
    members: ['pete', 'mia'],
    createdAt: PAST,
    updatedAt: PAST,
  },
  'projects/p2': {
    name: 'Hiring',
    description: '',
    workspaceId: 'w1',
    ownerId: 'sam',
    members: ['sam'],
    createdAt: PAST,
    updatedAt: PAST,
  },
  'projects/p3': {
    name: 'Garden',
    description: '',
    workspaceId: 'w2',
    ownerId: 'nina',
    members: ['nina'],
    createdAt: PAST,
    updatedAt: PAST,
  },
}));

/** A valid rename of a project. */
function rename(name = 'Launch v1'): Record<string, unknown> {
  return { name, updatedAt: serverTimestamp() };
}

describe('projects: read', () => {
  it('lets a project member who is not its owner read it', async () => {
    await assertSucceeds(rules.as('mia').doc('projects/p1').get());
  });

  it('denies workspace members, its owner included, who are not project members', async () => {
    await assertFails(rules.as('sam').doc('projects/p1').get());
    await assertFails(rules.as('olivia').doc('projects/p1').get());
  });

  it('denies outsiders, and a project that does not exist', async () => {
    await assertFails(rules.as('eve').doc('projects/p1').get());
    await assertFails(rules.as('mia').doc('projects/p404').get());
  });

  it('lets a user list the projects whose members array-contains their uid', async () => {
    const snap = await assertSucceeds(
      rules.as('mia').collection('projects').where('members', 'array-contains', 'mia').get(),
    );
    expect(snap.docs.map((d) => d.id)).toEqual(['p1']);
  });

  it('denies a list not constrained to array-contains the caller, even by workspace', async () => {
    const projects = rules.as('mia').collection('projects');
    await assertFails(projects.where('workspaceId', '==', 'w1').get());
    await assertFails(projects.get());
    await assertFails(projects.where('members', 'array-contains', 'sam').get());
  });

  it('denies reading projects when not signed in', async () => {
    const db = rules.anonymous();
    await assertFails(db.doc('projects/p1').get());
    await assertFails(db.collection('projects').where('members', 'array-contains', 'mia').get());
  });
});

describe('projects: create and delete (callables only)', () => {
  it('denies creating a project, even by the workspace owner', async () => {
    await assertFails(
      rules
        .as('olivia')
        .doc('projects/p9')
        .set({
          name: 'New',
          description: '',
          workspaceId: 'w1',
          ownerId: 'olivia',
          members: ['olivia'],
          createdAt: serverTimestamp(),
          updatedAt: serverTimestamp(),
        }),
    );
  });

  it('denies deleting a project, by its owner or the workspace owner', async () => {
    await assertFails(rules.as('pete').doc('projects/p1').delete());
    await assertFails(rules.as('olivia').doc('projects/p1').delete());
  });
});

describe('projects: update', () => {
  it('lets the project owner change the name and description', async () => {
    await assertSucceeds(
      rules
        .as('pete')
        .doc('projects/p1')
        .update({ ...rename(), description: 'Ship it' }),
    );
  });

  it('lets a workspace admin who is not a project member rename it', async () => {
    await assertSucceeds(rules.as('adam').doc('projects/p1').update(rename()));
  });

  it('lets the workspace owner rename it', async () => {
    await assertSucceeds(rules.as('olivia').doc('projects/p1').update(rename()));
  });

  it('denies a project member who is neither its owner nor a workspace owner/admin', async () => {
    await assertFails(rules.as('mia').doc('projects/p1').update(rename()));
  });

  it('denies a workspace member outside the project, and an outsider', async () => {
    await assertFails(rules.as('sam').doc('projects/p1').update(rename()));
    await assertFails(rules.as('eve').doc('projects/p1').update(rename()));
    await assertFails(rules.anonymous().doc('projects/p1').update(rename()));
  });

  it("denies the owner or admin of another workspace (the project's own decides)", async () => {
    await assertFails(rules.as('nina').doc('projects/p1').update(rename()));
    await assertFails(rules.as('adam').doc('projects/p3').update(rename()));
  });

  it('denies an admin role held by someone who is not in the workspace members', async () => {
    await rules.seed({
      'workspaces/w5': {
        name: 'Stale',
        ownerId: 'olivia',
        members: ['olivia'],
        roles: { olivia: 'owner', ghost: 'admin' },
        createdAt: PAST,
        updatedAt: PAST,
      },
      'projects/p5': {
        name: 'Stale project',
        workspaceId: 'w5',
        ownerId: 'olivia',
        members: ['olivia'],
        createdAt: PAST,
        updatedAt: PAST,
      },
    });
    await assertFails(rules.as('ghost').doc('projects/p5').update(rename()));
  });

  it('denies changing members, ownerId, workspaceId or createdAt', async () => {
    const p1 = rules.as('olivia').doc('projects/p1');
    await assertFails(p1.update({ ...rename(), members: ['pete', 'mia', 'sam'] }));
    await assertFails(p1.update({ ...rename(), ownerId: 'olivia' }));
    await assertFails(p1.update({ ...rename(), workspaceId: 'w2' }));
    await assertFails(p1.update({ ...rename(), createdAt: serverTimestamp() }));
  });

  it('denies an update whose updatedAt is missing or from the client clock', async () => {
    const p1 = rules.as('pete').doc('projects/p1');
    await assertFails(p1.update({ name: 'Launch v1' }));
    await assertFails(p1.update({ name: 'Launch v1', updatedAt: clientNow() }));
  });

  it('checks name: a string of 1 to 100 characters, never removed', async () => {
    const p1 = rules.as('pete').doc('projects/p1');
    await assertFails(p1.update(rename('')));
    await assertFails(p1.update(rename(chars(101))));
    await assertFails(p1.update({ name: deleteField(), updatedAt: serverTimestamp() }));
    await assertSucceeds(p1.update(rename(chars(100))));
  });

  it('checks description: a string of at most 1000 characters', async () => {
    const p1 = rules.as('pete').doc('projects/p1');
    await assertFails(p1.update({ description: chars(1001), updatedAt: serverTimestamp() }));
    await assertFails(p1.update({ description: null, updatedAt: serverTimestamp() }));
    await assertSucceeds(p1.update({ description: chars(1000), updatedAt: serverTimestamp() }));
  });
});
