import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import { deleteField, serverTimestamp, Timestamp } from 'firebase/firestore';
import { chars, clientNow, PAST, useRulesEnv, without, type ClientDb } from './rules-env';

// tasks/{id}: members of the task's project read, create and edit them; the server owns the
// reminder, notification and bookkeeping fields; hard delete goes through the REST API.
//
// Cast: workspace w1 (owner olivia; members mia, pete, sam); project p1 in w1 has members pete
// and mia; p2 in w1 has sam; p3 is in workspace w2. Eve is in nothing.
//
// updatedBy names the last writer (null: the server) so that the task triggers never notify the
// actor of their own change: every client create and edit must set it to the caller's uid. The
// stored tasks were last written by pete, so an edit by anyone else must overwrite it.

/** The fields only the server writes: no client may set them, on create or on update. */
const SERVER_OWNED: Record<string, unknown> = {
  // The reminder bookkeeping (functions/src/domain/reminders/reminder-plan.ts): a client that
  // could write it could silence or repeat reminders, or make the sweeps read its task forever.
  nextReminderAt: PAST,
  reminders: { dueAt: PAST, assigneeId: 'mia', pending: [60], sent: [1440] },
  overdueCheckAt: PAST,
  overdueNotice: { dueAt: PAST, assigneeId: 'mia', lastDay: 0 },
  stats: { comments: 2 },
  lastNotifiedAt: PAST,
  recurrenceNextId: 't99',
  version: 3,
};

const REQUIRED = [
  'title',
  'projectId',
  'workspaceId',
  'createdBy',
  'status',
  'priority',
  'createdAt',
  'updatedAt',
  'updatedBy',
];

const FUTURE = Timestamp.fromDate(new Date('2030-06-01T09:00:00Z'));

/** A stored task of p1, as the server keeps it (server-owned fields included). */
function storedTask(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Write the release notes',
    description: '',
    projectId: 'p1',
    workspaceId: 'w1',
    assigneeId: 'mia',
    createdBy: 'pete',
    status: 'todo',
    priority: 'medium',
    dueDate: FUTURE,
    completedAt: null,
    recurrence: null,
    deletedAt: null,
    createdAt: PAST,
    updatedAt: PAST,
    updatedBy: 'pete',
    ...SERVER_OWNED,
    ...fields,
  };
}

const rules = useRulesEnv(() => ({
  'workspaces/w1': {
    name: 'Acme',
    ownerId: 'olivia',
    members: ['olivia', 'mia', 'pete', 'sam'],
    roles: { olivia: 'owner', mia: 'member', pete: 'member', sam: 'member' },
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
    ownerId: 'sam',
    members: ['sam'],
    createdAt: PAST,
    updatedAt: PAST,
  },
  'projects/p3': {
    name: 'Garden',
    workspaceId: 'w2',
    ownerId: 'nina',
    members: ['nina', 'mia'],
    createdAt: PAST,
    updatedAt: PAST,
  },
  'tasks/t1': storedTask(),
  'tasks/t2': storedTask({ title: 'Interview', projectId: 'p2', assigneeId: 'sam' }),
  'tasks/done': storedTask({ status: 'done', completedAt: PAST }),
  'tasks/deleted': storedTask({ deletedAt: PAST }),
}));

function mia(): ClientDb {
  return rules.as('mia');
}

/** The minimal valid new task, by mia in p1. */
function newTask(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Book the venue',
    projectId: 'p1',
    workspaceId: 'w1',
    createdBy: 'mia',
    status: 'todo',
    priority: 'high',
    deletedAt: null,
    createdAt: serverTimestamp(),
    updatedAt: serverTimestamp(),
    updatedBy: 'mia',
    ...fields,
  };
}

let newTasks = 0;

/** `db` creates `data` as a new task (a fresh id each call, so every write is a create). */
function createTask(data: Record<string, unknown>, db: ClientDb = mia()): Promise<void> {
  newTasks += 1;
  return db.doc(`tasks/new-${newTasks}`).set(data);
}

/** What every client edit adds: updatedAt now, updatedBy the caller (`uid`). */
function touched(uid = 'mia'): Record<string, unknown> {
  return { updatedAt: serverTimestamp(), updatedBy: uid };
}

/** `uid` (mia unless given) edits t1: `fields` plus updatedAt now and updatedBy `uid`. */
function editT1(
  fields: Record<string, unknown>,
  uid = 'mia',
  db: ClientDb = rules.as(uid),
): Promise<void> {
  return db.doc('tasks/t1').update({ ...touched(uid), ...fields });
}

describe('tasks: read', () => {
  it('lets a member of the task’s project read it', async () => {
    await assertSucceeds(mia().doc('tasks/t1').get());
  });

  it('denies a non-member of the project, even a workspace member or owner', async () => {
    await assertFails(rules.as('sam').doc('tasks/t1').get());
    await assertFails(rules.as('olivia').doc('tasks/t1').get());
    await assertFails(rules.as('eve').doc('tasks/t1').get());
  });

  it('denies reading a task that does not exist', async () => {
    await assertFails(mia().doc('tasks/t404').get());
  });

  it("lets a member query a project's tasks with where('projectId', '==', …)", async () => {
    const snap = await assertSucceeds(
      mia().collection('tasks').where('projectId', '==', 'p1').where('status', '==', 'todo').get(),
    );
    expect(snap.docs.map((d) => d.id).sort()).toEqual(['deleted', 't1']);
  });

  it("denies a non-member querying a project's tasks", async () => {
    await assertFails(rules.as('sam').collection('tasks').where('projectId', '==', 'p1').get());
    await assertFails(mia().collection('tasks').where('projectId', '==', 'p2').get());
  });

  it('denies a query constrained neither to one project nor to the caller’s assignments', async () => {
    await assertFails(mia().collection('tasks').get());
    await assertFails(mia().collection('tasks').where('status', '==', 'todo').get());
    await assertFails(mia().collection('tasks').where('assigneeId', '==', 'sam').get());
  });

  it("lets a user query their own assignments across projects with where('assigneeId', '==', uid)", async () => {
    const snap = await assertSucceeds(
      rules.as('sam').collection('tasks').where('assigneeId', '==', 'sam').get(),
    );
    expect(snap.docs.map((d) => d.id)).toEqual(['t2']);
  });

  it('denies reading tasks when not signed in', async () => {
    const db = rules.anonymous();
    await assertFails(db.doc('tasks/t1').get());
    await assertFails(db.collection('tasks').where('projectId', '==', 'p1').get());
  });
});

describe('tasks: create', () => {
  it('lets a project member create a task with the required fields only', async () => {
    await assertSucceeds(createTask(newTask()));
  });

  it('lets a project member create a task with every optional field', async () => {
    await assertSucceeds(
      createTask(
        newTask({
          description: 'For 40 people',
          assigneeId: 'pete',
          dueDate: FUTURE,
          completedAt: null,
          recurrence: {
            rule: 'FREQ=WEEKLY;BYDAY=MO',
            timezone: 'Europe/Berlin',
            dueMode: 'on_due',
          },
          deletedAt: null,
        }),
      ),
    );
  });

  it('denies a non-member of the project, a missing project, and anonymous clients', async () => {
    await assertFails(createTask(newTask({ createdBy: 'sam', updatedBy: 'sam' }), rules.as('sam')));
    await assertFails(createTask(newTask({ projectId: 'p404' })));
    await assertFails(
      createTask(newTask({ createdBy: 'anonymous', updatedBy: 'anonymous' }), rules.anonymous()),
    );
  });

  it('denies a task missing a required field', async () => {
    for (const key of REQUIRED) {
      await assertFails(createTask(without(newTask(), key)));
    }
  });

  it('denies a field that is not a task field', async () => {
    await assertFails(createTask(newTask({ labels: ['urgent'] })));
  });

  it('denies every server-owned field', async () => {
    for (const [key, value] of Object.entries(SERVER_OWNED)) {
      await assertFails(createTask(newTask({ [key]: value })));
    }
  });

  it('checks title: a string of 1 to 200 characters', async () => {
    await assertFails(createTask(newTask({ title: '' })));
    await assertFails(createTask(newTask({ title: chars(201) })));
    await assertFails(createTask(newTask({ title: 42 })));
    await assertSucceeds(createTask(newTask({ title: chars(200) })));
  });

  it('checks description: a string of at most 5000 characters', async () => {
    await assertFails(createTask(newTask({ description: chars(5001) })));
    await assertFails(createTask(newTask({ description: null })));
    await assertSucceeds(createTask(newTask({ description: chars(5000) })));
  });

  it('checks status and priority against their enums', async () => {
    await assertSucceeds(createTask(newTask({ status: 'in_progress' })));
    await assertFails(createTask(newTask({ status: 'blocked' })));
    for (const priority of ['low', 'medium', 'high']) {
      await assertSucceeds(createTask(newTask({ priority })));
    }
    await assertFails(createTask(newTask({ priority: 'urgent' })));
  });

  it("denies a workspaceId that is not the project's", async () => {
    await assertFails(createTask(newTask({ workspaceId: 'w2' })));
  });

  it('allows no assignee or a project member, denies anyone else', async () => {
    await assertSucceeds(createTask(newTask({ assigneeId: null })));
    await assertSucceeds(createTask(newTask({ assigneeId: 'mia' })));
    await assertFails(createTask(newTask({ assigneeId: 'sam' })));
    await assertFails(createTask(newTask({ assigneeId: 'eve' })));
  });

  it('denies createdBy other than the caller', async () => {
    await assertFails(createTask(newTask({ createdBy: 'pete' })));
  });

  it('denies a task without updatedBy', async () => {
    await assertFails(createTask(without(newTask(), 'updatedBy')));
  });

  it('denies updatedBy other than the caller: another user, null, or not a string', async () => {
    await assertFails(createTask(newTask({ updatedBy: 'pete' })));
    await assertFails(createTask(newTask({ updatedBy: null })));
    await assertFails(createTask(newTask({ updatedBy: ['mia'] })));
  });

  it('denies createdAt or updatedAt from the client clock', async () => {
    await assertFails(createTask(newTask({ createdAt: clientNow() })));
    await assertFails(createTask(newTask({ updatedAt: clientNow() })));
  });

  it('denies creating a task already soft-deleted', async () => {
    await assertFails(createTask(newTask({ deletedAt: serverTimestamp() })));
    await assertFails(createTask(newTask({ deletedAt: PAST })));
  });

  it('requires deletedAt: null on create (listings filter on it)', async () => {
    const { deletedAt: _omitted, ...withoutDeletedAt } = newTask();
    await assertFails(createTask(withoutDeletedAt));
  });

  it('requires completedAt now for a task created done, and none otherwise', async () => {
    await assertSucceeds(createTask(newTask({ status: 'done', completedAt: serverTimestamp() })));
    await assertFails(createTask(newTask({ status: 'done' })));
    await assertFails(createTask(newTask({ status: 'done', completedAt: null })));
    await assertFails(createTask(newTask({ status: 'done', completedAt: clientNow() })));
    await assertFails(createTask(newTask({ status: 'todo', completedAt: serverTimestamp() })));
  });

  it('checks dueDate: a timestamp or null', async () => {
    await assertSucceeds(createTask(newTask({ dueDate: null })));
    await assertFails(createTask(newTask({ dueDate: '2030-06-01' })));
    await assertFails(createTask(newTask({ dueDate: 1_900_000_000_000 })));
  });

  it('checks recurrence: null, or {rule 8–500, timezone, dueMode?}', async () => {
    const recurrence = { rule: 'FREQ=DAILY', timezone: 'Europe/Berlin' };
    const long = (n: number) => `FREQ=DAILY;X=${chars(n - 13, 'A')}`;
    await assertSucceeds(createTask(newTask({ recurrence: null })));
    await assertSucceeds(createTask(newTask({ recurrence: { ...recurrence, rule: long(500) } })));
    await assertFails(createTask(newTask({ recurrence: { ...recurrence, rule: long(501) } })));
    await assertFails(createTask(newTask({ recurrence: { ...recurrence, rule: '' } })));
    await assertFails(createTask(newTask({ recurrence: without(recurrence, 'timezone') })));
    await assertFails(createTask(newTask({ recurrence: without(recurrence, 'rule') })));
    await assertFails(createTask(newTask({ recurrence: { ...recurrence, timezone: '' } })));
    await assertFails(
      createTask(newTask({ recurrence: { ...recurrence, timezone: chars(65, 'A') } })),
    );
    await assertFails(createTask(newTask({ recurrence: { ...recurrence, dueMode: 1 } })));
    await assertFails(createTask(newTask({ recurrence: { ...recurrence, count: 3 } })));
    await assertFails(createTask(newTask({ recurrence: 'FREQ=DAILY' })));
  });

  it('refuses recurrence rules without an allowed FREQ, a made-up zone area and unknown due modes', async () => {
    const recurrence = { rule: 'FREQ=DAILY', timezone: 'Europe/Berlin' };
    const create = (r: object) => createTask(newTask({ recurrence: { ...recurrence, ...r } }));
    await assertSucceeds(create({ rule: 'RRULE:BYDAY=MO,WE;FREQ=WEEKLY;INTERVAL=2' }));
    await assertSucceeds(create({ timezone: 'America/Argentina/Buenos_Aires', dueMode: 'on_due' }));
    await assertSucceeds(create({ timezone: 'UTC' }));
    for (const rule of [
      'FREQ=SECONDLY',
      'FREQ=MINUTELY;COUNT=5',
      'FREQ=HOURLY',
      'BYDAY=MO,TU',
      'FREQ=DAILY;;',
      'hello world',
    ]) {
      await assertFails(create({ rule }));
    }
    await assertFails(create({ timezone: 'Foo/Bar' }));
    await assertFails(create({ timezone: '../../etc' }));
    await assertFails(create({ dueMode: 'sometimes' }));
  });
});

describe('tasks: update', () => {
  it('lets a project member edit the title, description, status, priority and due date', async () => {
    await assertSucceeds(
      editT1({
        title: 'Write and publish the release notes',
        description: 'Before Friday',
        status: 'in_progress',
        priority: 'high',
        dueDate: null,
      }),
    );
  });

  it('denies a non-member of the project, even the workspace owner, and anonymous', async () => {
    await assertFails(editT1({ title: 'Mine now' }, 'sam'));
    await assertFails(editT1({ title: 'Mine now' }, 'olivia'));
    await assertFails(editT1({ title: 'Mine now' }, 'anonymous', rules.anonymous()));
  });

  it('denies an edit whose updatedAt is missing or from the client clock', async () => {
    const t1 = mia().doc('tasks/t1');
    await assertFails(t1.update({ title: 'New title', updatedBy: 'mia' }));
    await assertFails(t1.update({ title: 'New title', updatedBy: 'mia', updatedAt: clientNow() }));
  });

  /** A task of p1 last changed by the server (say, an unassignment when a member left). */
  const SERVER_CHANGED = { 'tasks/server-changed': storedTask({ updatedBy: null }) };

  it('lets a member set updatedBy to themself, whoever wrote the task last', async () => {
    // t1 was last written by pete, server-changed by the server (null).
    await rules.seed(SERVER_CHANGED);
    await assertSucceeds(editT1({ title: 'Mine now' }));
    await assertSucceeds(editT1({ title: 'Pete’s again' }, 'pete'));
    const serverChanged = mia().doc('tasks/server-changed');
    await assertSucceeds(serverChanged.update({ title: 'After the server', ...touched() }));
  });

  it('denies an edit that leaves the previous writer in updatedBy, or removes it', async () => {
    // Stale: pete's uid on t1, the server's null on server-changed.
    await rules.seed(SERVER_CHANGED);
    const stale = { title: 'Not mine', updatedAt: serverTimestamp() };
    await assertFails(mia().doc('tasks/t1').update(stale));
    await assertFails(mia().doc('tasks/server-changed').update(stale));
    await assertFails(editT1({ updatedBy: deleteField() }));
  });

  it('denies updatedBy set to another user or to null', async () => {
    await assertFails(editT1({ updatedBy: 'pete' }));
    await assertFails(editT1({ updatedBy: 'sam' }));
    await assertFails(editT1({ updatedBy: null }));
  });

  it('lets a task written before updatedBy existed be edited, with updatedBy set', async () => {
    await rules.seed({ 'tasks/legacy': without(storedTask(), 'updatedBy') });
    const legacy = mia().doc('tasks/legacy');
    await assertFails(legacy.update({ title: 'Still to do', updatedAt: serverTimestamp() }));
    await assertSucceeds(legacy.update({ title: 'Still to do', ...touched() }));
  });

  it('denies changing projectId, workspaceId, createdBy or createdAt', async () => {
    await assertFails(editT1({ projectId: 'p3' }));
    await assertFails(editT1({ workspaceId: 'w2' }));
    await assertFails(editT1({ createdBy: 'mia' }));
    await assertFails(editT1({ createdAt: serverTimestamp() }));
  });

  it('denies changing, adding or removing any server-owned field', async () => {
    for (const key of Object.keys(SERVER_OWNED)) {
      await assertFails(editT1({ [key]: null }));
      await assertFails(editT1({ [key]: deleteField() }));
    }
    await assertFails(editT1({ labels: ['urgent'] }));
  });

  it('allows assigning to a project member or to nobody, denies anyone else', async () => {
    await assertSucceeds(editT1({ assigneeId: 'pete' }));
    await assertSucceeds(editT1({ assigneeId: null }));
    await assertFails(editT1({ assigneeId: 'sam' }));
    await assertFails(editT1({ assigneeId: 'eve' }));
  });

  it('lets a task whose assignee left the project be edited without reassigning it', async () => {
    await rules.seed({ 'tasks/orphan': storedTask({ assigneeId: 'former-member' }) });
    const orphan = mia().doc('tasks/orphan');
    await assertSucceeds(orphan.update({ title: 'Still to do', ...touched() }));
  });

  it('lets a member soft-delete a task now, never at another time', async () => {
    await assertFails(editT1({ deletedAt: clientNow() }));
    await assertFails(editT1({ deletedAt: PAST }));
    await assertSucceeds(editT1({ deletedAt: serverTimestamp() }));
  });

  it('lets a member restore a soft-deleted task with deletedAt null, not by removing it', async () => {
    const deleted = mia().doc('tasks/deleted');
    await assertFails(deleted.update({ deletedAt: deleteField(), ...touched() }));
    await assertSucceeds(deleted.update({ deletedAt: null, ...touched() }));
  });

  it('lets a member complete a task now and reopen it, never completed at another time', async () => {
    await assertFails(editT1({ status: 'done', completedAt: clientNow() }));
    await assertSucceeds(editT1({ status: 'done', completedAt: serverTimestamp() }));
    const done = mia().doc('tasks/done');
    await assertSucceeds(done.update({ status: 'todo', completedAt: null, ...touched() }));
  });

  it('keeps status and completedAt in step: done exactly when completed', async () => {
    await assertFails(editT1({ status: 'done' }));
    await assertFails(editT1({ completedAt: serverTimestamp() }));
    const done = mia().doc('tasks/done');
    await assertFails(done.update({ status: 'in_progress', ...touched() }));
    await assertFails(done.update({ completedAt: null, ...touched() }));
  });

  it('checks the new values like on create', async () => {
    await assertFails(editT1({ title: '' }));
    await assertFails(editT1({ title: chars(201) }));
    await assertFails(editT1({ title: deleteField() }));
    await assertFails(editT1({ description: chars(5001) }));
    await assertFails(editT1({ status: 'blocked' }));
    await assertFails(editT1({ priority: 'urgent' }));
    await assertFails(editT1({ dueDate: '2030-06-01' }));
    await assertFails(editT1({ recurrence: { rule: 'FREQ=DAILY' } }));
    await assertSucceeds(editT1({ recurrence: { rule: 'FREQ=DAILY', timezone: 'UTC' } }));
  });

  it('denies hard-deleting a task, even by its creator (the REST API does it)', async () => {
    await assertFails(mia().doc('tasks/t1').delete());
    await assertFails(rules.as('pete').doc('tasks/t1').delete());
  });
});
