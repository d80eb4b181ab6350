import { assertFails, assertSucceeds } from '@firebase/rules-unit-testing';
import { deleteField, serverTimestamp } from 'firebase/firestore';
import { PAST, useRulesEnv, type ClientDb } from './rules-env';

// users/{uid}/notifications/{id}: the in-app inbox. The server writes it (and the API deletes
// from it); the owner reads it and marks items read, nothing else.

function notification(title: string): Record<string, unknown> {
  return {
    type: 'task_assigned',
    title,
    body: 'Olivia assigned you a task',
    taskId: 't1',
    projectId: 'p1',
    read: false,
    groupKey: 'task_assigned:t1',
    createdAt: PAST,
  };
}

const rules = useRulesEnv(() => ({
  'users/alice/notifications/n1': notification('Write the release notes'),
  'users/alice/notifications/n2': { ...notification('Review the budget'), read: true },
  'users/bob/notifications/n3': notification('Fix the login bug'),
}));

function alice(): ClientDb {
  return rules.as('alice');
}

describe('users/{uid}/notifications: read', () => {
  it('lets the owner read one of their notifications', async () => {
    await assertSucceeds(alice().doc('users/alice/notifications/n1').get());
  });

  it('lets the owner list their inbox, unread first or all', async () => {
    const inbox = alice().collection('users/alice/notifications');
    await assertSucceeds(inbox.get());
    await assertSucceeds(inbox.where('read', '==', false).get());
  });

  it("denies reading or listing another user's inbox", async () => {
    await assertFails(alice().doc('users/bob/notifications/n3').get());
    await assertFails(alice().collection('users/bob/notifications').get());
  });

  it("denies a collection-group query over every user's notifications", async () => {
    await assertFails(alice().collectionGroup('notifications').get());
  });

  it('denies reading an inbox when not signed in', async () => {
    await assertFails(rules.anonymous().doc('users/alice/notifications/n1').get());
    await assertFails(rules.anonymous().collection('users/alice/notifications').get());
  });
});

describe('users/{uid}/notifications: write', () => {
  it('lets the owner mark a notification read (update or set-merge)', async () => {
    await assertSucceeds(alice().doc('users/alice/notifications/n1').update({ read: true }));
    await assertSucceeds(
      alice().doc('users/alice/notifications/n2').set({ read: true }, { merge: true }),
    );
  });

  it('lets the owner mark a notification unread again (read is any boolean)', async () => {
    await assertSucceeds(alice().doc('users/alice/notifications/n2').update({ read: false }));
  });

  it('denies a read flag that is not a boolean, or its removal', async () => {
    const n1 = alice().doc('users/alice/notifications/n1');
    await assertFails(n1.update({ read: 'yes' }));
    await assertFails(n1.update({ read: 1 }));
    await assertFails(n1.update({ read: deleteField() }));
  });

  it('denies changing any other field, alone or with read', async () => {
    const n1 = alice().doc('users/alice/notifications/n1');
    await assertFails(n1.update({ title: 'Something else' }));
    await assertFails(n1.update({ read: true, title: 'Something else' }));
    await assertFails(n1.update({ read: true, readAt: serverTimestamp() }));
    await assertFails(n1.update({ read: true, createdAt: serverTimestamp() }));
  });

  it('denies the owner creating a notification (the server writes them)', async () => {
    await assertFails(
      alice().doc('users/alice/notifications/n9').set(notification('Spoofed by the client')),
    );
  });

  it('denies the owner deleting a notification (the API does it)', async () => {
    await assertFails(alice().doc('users/alice/notifications/n1').delete());
  });

  it("denies marking, creating or deleting another user's notifications", async () => {
    const db = alice();
    await assertFails(db.doc('users/bob/notifications/n3').update({ read: true }));
    await assertFails(db.doc('users/bob/notifications/n9').set(notification('Spoofed')));
    await assertFails(db.doc('users/bob/notifications/n3').delete());
  });

  it('denies marking read when not signed in', async () => {
    await assertFails(rules.anonymous().doc('users/alice/notifications/n1').update({ read: true }));
  });
});
