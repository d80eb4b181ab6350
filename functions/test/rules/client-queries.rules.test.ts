import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import { Timestamp } from 'firebase/firestore';
import {
  CLIENT_QUERY_CATALOG,
  type ClientQuery,
  type ClientValue,
} from '../../src/domain/query-catalog';
import { PAST, useRulesEnv, type ClientDb, type Docs } from './rules-env';

// Every query of the app's catalog, as the app runs it through the SDK under firestore.rules:
// a member gets exactly the documents the query describes; an outsider running it with the
// member's values is denied. A query added to the catalog is tested here without more code; the
// fixtures must then hold at least one document it finds (checked below).
//
// Cast: mia is a member of workspace w1 and of its project p1, and of project p3 in workspace
// w2; pete shares w1/p1 and alone has p2. Eve is in nothing.

const at = (iso: string) => Timestamp.fromDate(new Date(iso));
const MIA_EMAIL = 'mia@taskflow.test';

function task(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    title: 'A task',
    description: '',
    projectId: 'p1',
    workspaceId: 'w1',
    assigneeId: 'mia',
    createdBy: 'pete',
    updatedBy: 'pete',
    status: 'todo',
    priority: 'medium',
    dueDate: at('2030-06-01T09:00:00Z'),
    completedAt: null,
    recurrence: null,
    deletedAt: null,
    createdAt: PAST,
    updatedAt: PAST,
    ...fields,
  };
}

function invitation(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    workspaceId: 'w1',
    workspaceName: 'Acme',
    role: 'member',
    status: 'pending',
    invitedBy: 'pete',
    createdAt: PAST,
    expiresAt: at('2030-01-01T00:00:00Z'),
    ...fields,
  };
}

const FIXTURES: Docs = {
  'workspaces/w1': {
    name: 'Acme',
    ownerId: 'pete',
    members: ['pete', 'mia'],
    roles: { pete: 'owner', mia: 'member' },
    createdAt: PAST,
    updatedAt: PAST,
  },
  'workspaces/w2': {
    name: 'Garden club',
    ownerId: 'nina',
    members: ['nina', 'mia'],
    roles: { nina: 'owner', mia: 'member' },
    createdAt: at('2025-02-01T00:00:00Z'),
    updatedAt: PAST,
  },
  'workspaces/w3': {
    name: 'Pete’s own',
    ownerId: 'pete',
    members: ['pete'],
    roles: { pete: 'owner' },
    createdAt: PAST,
    updatedAt: PAST,
  },
  'projects/p1': {
    name: 'Launch',
    workspaceId: 'w1',
    ownerId: 'pete',
    members: ['pete', 'mia'],
    createdAt: PAST,
    updatedAt: PAST,
  },
  'projects/p2': {
    name: 'Hiring',
    workspaceId: 'w1',
    ownerId: 'pete',
    members: ['pete'],
    createdAt: PAST,
    updatedAt: PAST,
  },
  'projects/p3': {
    name: 'Roses',
    workspaceId: 'w2',
    ownerId: 'nina',
    members: ['nina', 'mia'],
    createdAt: PAST,
    updatedAt: PAST,
  },
  'tasks/t-mia-soon': task({
    dueDate: at('2030-01-01T09:00:00Z'),
    createdAt: at('2025-01-03T00:00:00Z'),
  }),
  'tasks/t-mia-p3': task({
    projectId: 'p3',
    workspaceId: 'w2',
    dueDate: at('2030-02-01T09:00:00Z'),
  }),
  'tasks/t-mia-late': task({
    dueDate: at('2030-03-01T09:00:00Z'),
    createdAt: at('2025-01-02T00:00:00Z'),
  }),
  'tasks/t-mia-deleted': task({ deletedAt: PAST }),
  'tasks/t-mia-done': task({ status: 'done', completedAt: PAST }),
  'tasks/t-pete-p1': task({ assigneeId: 'pete', dueDate: at('2030-04-01T09:00:00Z') }),
  'tasks/t-pete-p2': task({ projectId: 'p2', assigneeId: 'pete' }),
  'tasks/t-unassigned': task({ assigneeId: null, dueDate: null }),
  // Invitations: one to zoe for w1 (mia's workspace), one to mia's address for w3 (not hers
  // yet), one already accepted.
  'invitations/i-zoe': invitation({ email: 'zoe@taskflow.test' }),
  'invitations/i-mia': invitation({ workspaceId: 'w3', email: MIA_EMAIL }),
  'invitations/i-old': invitation({ email: 'old@taskflow.test', status: 'accepted' }),
  'users/mia/notifications/n-unread': {
    type: 'task_assigned',
    title: 'Assigned',
    body: '',
    read: false,
    createdAt: at('2025-01-02T00:00:00Z'),
  },
  'users/mia/notifications/n-read': {
    type: 'task_assigned',
    title: 'Assigned',
    body: '',
    read: true,
    createdAt: at('2025-01-01T00:00:00Z'),
  },
  'users/pete/notifications/n-pete': {
    type: 'task_assigned',
    title: 'Assigned',
    body: '',
    read: false,
    createdAt: PAST,
  },
};

/** What the member has open when running a query. */
const MEMBER = { uid: 'mia', email: MIA_EMAIL, project: 'p1', workspace: 'w1' };

const rules = useRulesEnv(() => FIXTURES);

function resolve(v: ClientValue): unknown {
  if ('value' in v) return v.value;
  switch (v.from) {
    case 'caller':
      return MEMBER.uid;
    case 'callerEmail':
      return MEMBER.email;
    case 'project':
      return MEMBER.project;
    case 'workspace':
      return MEMBER.workspace;
  }
}

function valueOf(q: ClientQuery, key: string): unknown {
  const v = q.values[key];
  if (v === undefined) throw new Error(`${q.name}: no value for ${key}`);
  return resolve(v);
}

type SdkQuery = ReturnType<ReturnType<ClientDb['collection']>['where']>;

/** The query as the app builds it with the SDK, with the member's values. */
function build(db: ClientDb, q: ClientQuery) {
  let query: SdkQuery = db.collection(q.path.replace('{uid}', MEMBER.uid));
  for (const field of q.shape.equals) query = query.where(field, '==', valueOf(q, field));
  if (q.shape.arrayContains !== undefined) {
    query = query.where(q.shape.arrayContains, 'array-contains', valueOf(q, 'arrayContains'));
  }
  for (const [field, direction] of q.shape.orderBy) query = query.orderBy(field, direction);
  return query;
}

/** Firestore's order within one type; null sorts before every value. */
function comparable(v: unknown): number | string {
  if (v === null) return -Infinity;
  if (v instanceof Timestamp) return v.toMillis();
  if (typeof v === 'number' || typeof v === 'string') return v;
  throw new Error(`cannot order by ${JSON.stringify(v)}`);
}

/**
 * The ids the query must return, worked out from the fixtures without Firestore: equality on
 * present fields (a missing field never equals null), array membership, only documents having
 * every orderBy field (null counts, and sorts first), in that order, ties by id in the last
 * direction.
 */
function expectedIds(q: ClientQuery): string[] {
  const prefix = `${q.path.replace('{uid}', MEMBER.uid)}/`;
  const docs = Object.entries(FIXTURES)
    .filter(([p]) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
    .map(([p, data]) => ({ id: p.slice(prefix.length), data }));
  const matching = docs.filter(
    ({ data }) =>
      q.shape.equals.every((f) => f in data && data[f] === valueOf(q, f)) &&
      (q.shape.arrayContains === undefined ||
        (Array.isArray(data[q.shape.arrayContains]) &&
          (data[q.shape.arrayContains] as unknown[]).includes(valueOf(q, 'arrayContains')))) &&
      q.shape.orderBy.every(([f]) => data[f] !== undefined),
  );
  const last = q.shape.orderBy.at(-1)?.[1] ?? 'asc';
  return matching
    .sort((a, b) => {
      for (const [f, dir] of q.shape.orderBy) {
        const x = comparable(a.data[f]);
        const y = comparable(b.data[f]);
        if (x !== y) return (x < y ? -1 : 1) * (dir === 'asc' ? 1 : -1);
      }
      return a.id.localeCompare(b.id) * (last === 'asc' ? 1 : -1);
    })
    .map((d) => d.id);
}

const member = () => rules.as(MEMBER.uid, { email: MEMBER.email, email_verified: true });
const outsider = () => rules.as('eve', { email: 'eve@taskflow.test', email_verified: true });

describe.each(CLIENT_QUERY_CATALOG.map((q) => [q.name, q] as const))(
  'client query %s',
  (_name, q) => {
    it('finds something in the fixtures (so that the test below proves something)', () => {
      expect(expectedIds(q).length).toBeGreaterThan(0);
    });

    it('is allowed for a member and returns exactly the documents it describes', async () => {
      const snap = await assertSucceeds(build(member(), q).get());
      expect(snap.docs.map((d) => d.id)).toEqual(expectedIds(q));
    });

    it("is denied to an outsider running it with the member's values", async () => {
      await assertFails(build(outsider(), q).get());
    });

    it('is denied when not signed in', async () => {
      await assertFails(build(rules.anonymous(), q).get());
    });
  },
);

describe('my tasks across my projects', () => {
  it('returns tasks of every project the assignee is in, and nobody else’s', async () => {
    const mine = CLIENT_QUERY_CATALOG.find((q) => q.name === 'myTasks');
    if (mine === undefined) throw new Error('myTasks is not catalogued');
    const snap = await build(member(), mine).get();
    expect(snap.docs.map((d) => d.id)).toEqual([
      't-mia-soon',
      't-mia-p3',
      't-mia-late',
      't-mia-done',
    ]);
  });

  it('lets the assignee read their task directly, not a task only assigned to someone else', async () => {
    await assertSucceeds(member().doc('tasks/t-mia-p3').get());
    await assertFails(member().doc('tasks/t-pete-p2').get());
  });

  it('denies asking for another user’s assignments outside a shared project', async () => {
    await assertFails(
      member()
        .collection('tasks')
        .where('assigneeId', '==', 'pete')
        .where('deletedAt', '==', null)
        .get(),
    );
  });

  it('once a removed member’s tasks are unassigned (as removal does), they read none of them', async () => {
    // Removal takes mia out of p3's members and sets assigneeId to null on her tasks there.
    await rules.seed({
      'projects/p3': { ...FIXTURES['projects/p3'], members: ['nina'] },
      'tasks/t-mia-p3': { ...FIXTURES['tasks/t-mia-p3'], assigneeId: null, updatedBy: null },
    });
    await assertFails(member().doc('tasks/t-mia-p3').get());
    const mine = await member()
      .collection('tasks')
      .where('assigneeId', '==', 'mia')
      .where('deletedAt', '==', null)
      .get();
    expect(mine.docs.map((d) => d.id)).not.toContain('t-mia-p3');
  });
});

describe('invitations', () => {
  const unverified = () => rules.as('mia', { email: MIA_EMAIL, email_verified: false });

  it('the invitee reads their own by verified address (any letter case), not before verifying', async () => {
    await assertSucceeds(member().doc('invitations/i-mia').get());
    await assertSucceeds(
      rules
        .as('mia', { email: 'Mia@TaskFlow.test', email_verified: true })
        .doc('invitations/i-mia')
        .get(),
    );
    await assertFails(unverified().doc('invitations/i-mia').get());
    await assertFails(unverified().collection('invitations').where('email', '==', MIA_EMAIL).get());
  });

  it("workspace members read the workspace's invitations; nobody else reads them", async () => {
    await assertSucceeds(member().doc('invitations/i-zoe').get());
    await assertFails(outsider().doc('invitations/i-zoe').get());
    await assertFails(member().collection('invitations').where('workspaceId', '==', 'w3').get());
  });

  it('no client writes an invitation, not even a member or the invitee', async () => {
    await assertFails(member().doc('invitations/i-mia').update({ status: 'accepted' }));
    await assertFails(member().doc('invitations/i-zoe').delete());
    await assertFails(
      member()
        .doc('invitations/new')
        .set(invitation({ email: 'friend@taskflow.test' })),
    );
  });
});
