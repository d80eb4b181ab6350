import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import { deleteField, serverTimestamp } from 'firebase/firestore';
import { chars, clientNow, PAST, useRulesEnv } from './rules-env';

// workspaces/{id}: members read; owners and admins rename; membership, roles and ownership change
// only through the callables (createWorkspace …), which also create and delete workspaces.
//
// Cast: olivia owns w1, adam is its admin, mia a plain member; nina owns w2; eve is in neither.

const rules = useRulesEnv(() => ({
  'workspaces/w1': {
    name: 'Acme',
    description: 'The Acme team',
    ownerId: 'olivia',
    members: ['olivia', 'adam', 'mia'],
    roles: { olivia: 'owner', adam: 'admin', mia: 'member' },
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
}));

/** A valid rename of a workspace. */
function rename(name = 'Acme Corp'): Record<string, unknown> {
  return { name, updatedAt: serverTimestamp() };
}

describe('workspaces: read', () => {
  it('lets any member read the workspace, whatever their role', async () => {
    await assertSucceeds(rules.as('mia').doc('workspaces/w1').get());
    await assertSucceeds(rules.as('olivia').doc('workspaces/w1').get());
  });

  it('denies a non-member reading a workspace by id', async () => {
    await assertFails(rules.as('eve').doc('workspaces/w1').get());
    await assertFails(rules.as('nina').doc('workspaces/w1').get());
  });

  it('denies reading a workspace that does not exist (a guessed id)', async () => {
    await assertFails(rules.as('mia').doc('workspaces/w404').get());
  });

  it('lets a user list the workspaces whose members array-contains their uid', async () => {
    const snap = await assertSucceeds(
      rules.as('mia').collection('workspaces').where('members', 'array-contains', 'mia').get(),
    );
    expect(snap.docs.map((d) => d.id)).toEqual(['w1']);
  });

  it('denies a list query not constrained to the caller’s membership', async () => {
    const workspaces = rules.as('mia').collection('workspaces');
    await assertFails(workspaces.get());
    await assertFails(workspaces.where('name', '==', 'Acme').get());
    await assertFails(workspaces.where('members', 'array-contains', 'nina').get());
  });

  it('denies reading workspaces when not signed in', async () => {
    const db = rules.anonymous();
    await assertFails(db.doc('workspaces/w1').get());
    await assertFails(db.collection('workspaces').where('members', 'array-contains', 'mia').get());
  });
});

describe('workspaces: create and delete (callables only)', () => {
  it('denies creating a workspace, even a well-formed one owned by the caller', async () => {
    await assertFails(
      rules
        .as('eve')
        .doc('workspaces/w9')
        .set({
          name: 'Eve’s',
          description: '',
          ownerId: 'eve',
          members: ['eve'],
          roles: { eve: 'owner' },
          createdAt: serverTimestamp(),
          updatedAt: serverTimestamp(),
        }),
    );
  });

  it('denies deleting a workspace, even by its owner', async () => {
    await assertFails(rules.as('olivia').doc('workspaces/w1').delete());
  });
});

describe('workspaces: update', () => {
  it('lets the owner change the name and description', async () => {
    await assertSucceeds(
      rules
        .as('olivia')
        .doc('workspaces/w1')
        .update({ ...rename(), description: 'Everyone at Acme' }),
    );
  });

  it('lets an admin change the name', async () => {
    await assertSucceeds(rules.as('adam').doc('workspaces/w1').update(rename()));
  });

  it('denies a member whose role is member', async () => {
    await assertFails(rules.as('mia').doc('workspaces/w1').update(rename()));
  });

  it('denies an admin role held by someone who is not in members', async () => {
    await rules.seed({
      'workspaces/w3': {
        name: 'Stale',
        ownerId: 'olivia',
        members: ['olivia'],
        roles: { olivia: 'owner', ghost: 'admin' },
        createdAt: PAST,
        updatedAt: PAST,
      },
    });
    await assertFails(rules.as('ghost').doc('workspaces/w3').update(rename()));
  });

  it('denies a non-member, and a client that is not signed in', async () => {
    await assertFails(rules.as('nina').doc('workspaces/w1').update(rename()));
    await assertFails(rules.anonymous().doc('workspaces/w1').update(rename()));
  });

  it('denies the owner changing members, roles, ownerId or createdAt', async () => {
    const w1 = rules.as('olivia').doc('workspaces/w1');
    await assertFails(w1.update({ ...rename(), members: ['olivia', 'adam', 'mia', 'eve'] }));
    await assertFails(w1.update({ ...rename(), 'roles.mia': 'admin' }));
    await assertFails(w1.update({ ...rename(), ownerId: 'adam' }));
    await assertFails(w1.update({ ...rename(), createdAt: serverTimestamp() }));
    await assertFails(w1.update({ ...rename(), plan: 'enterprise' }));
  });

  it('denies an update whose updatedAt is missing or from the client clock', async () => {
    const w1 = rules.as('olivia').doc('workspaces/w1');
    await assertFails(w1.update({ name: 'Acme Corp' }));
    await assertFails(w1.update({ name: 'Acme Corp', updatedAt: clientNow() }));
  });

  it('checks name: a string of 1 to 100 characters, never removed', async () => {
    const w1 = rules.as('olivia').doc('workspaces/w1');
    await assertFails(w1.update(rename('')));
    await assertFails(w1.update(rename(chars(101))));
    await assertFails(w1.update({ name: deleteField(), updatedAt: serverTimestamp() }));
    await assertSucceeds(w1.update(rename(chars(100))));
  });

  it('checks description: a string of at most 1000 characters', async () => {
    const w1 = rules.as('olivia').doc('workspaces/w1');
    await assertFails(w1.update({ description: chars(1001), updatedAt: serverTimestamp() }));
    await assertFails(w1.update({ description: 42, updatedAt: serverTimestamp() }));
    await assertSucceeds(w1.update({ description: chars(1000), updatedAt: serverTimestamp() }));
  });

  it('lets a workspace without a description be renamed', async () => {
    await rules.seed({
      'workspaces/w4': {
        name: 'Bare',
        ownerId: 'olivia',
        members: ['olivia'],
        roles: { olivia: 'owner' },
        createdAt: PAST,
        updatedAt: PAST,
      },
    });
    await assertSucceeds(rules.as('olivia').doc('workspaces/w4').update(rename('Less bare')));
  });
});
