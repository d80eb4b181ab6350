import { Timestamp } from 'firebase-admin/firestore';
import { FixedClock } from '../../src/core/clock';
import type { Caller } from '../../src/core/operation';
import { addProjectMember, detachFromProject } from '../../src/domain/projects/project.service';
import { removeWorkspaceMember } from '../../src/domain/workspaces/workspace.service';
import { MEMBER_REMOVALS } from '../../src/storage/collections';
import { createTestFirestore } from '../support/firestore';
import { taskDoc } from '../support/tasks';

/**
 * Rights end with membership: removing someone from a workspace takes them off its projects and
 * hands the projects they owned to a remaining owner in the same transaction, and a retry after a
 * crash finishes unassigning their tasks.
 */
const fs = createTestFirestore();
const db = fs.db;
const clock = new FixedClock('2026-12-01T10:00:00Z');
const T = Timestamp.fromDate(new Date('2026-11-01T00:00:00Z'));
const ann: Caller = { uid: 'ann', admin: false };

afterEach(() => fs.clear());
afterAll(() => fs.dispose());

async function seed() {
  await Promise.all([
    db.doc('workspaces/w1').set({
      name: 'W',
      description: '',
      ownerId: 'ann',
      members: ['ann', 'bob', 'cat'],
      roles: { ann: 'owner', bob: 'admin', cat: 'member' },
      createdAt: T,
      updatedAt: T,
    }),
    // bob created and owns p1; ann is not in it.
    db.doc('projects/p1').set({
      name: 'Bob’s',
      description: '',
      workspaceId: 'w1',
      ownerId: 'bob',
      members: ['bob', 'cat'],
      createdAt: T,
      updatedAt: T,
    }),
    db.doc('tasks/t1').set(taskDoc({ assigneeId: 'bob', createdBy: 'bob', updatedBy: 'bob' })),
  ]);
}

const detachAll = async (projectIds: string[]) => {
  for (const p of projectIds) await detachFromProject(db, clock, p, 'bob');
};

describe('removing a workspace member', () => {
  it('takes them off the projects and hands a project they owned to a remaining owner, at once', async () => {
    await seed();
    await removeWorkspaceMember(db, clock, ann, 'w1', 'bob', detachAll);
    const p1 = (await db.doc('projects/p1').get()).data();
    expect(p1?.ownerId).toBe('ann');
    expect([...(p1?.members as string[])].sort()).toEqual(['ann', 'cat']);
    expect((await db.doc('tasks/t1').get()).get('assigneeId')).toBeNull();
    expect((await db.collection(MEMBER_REMOVALS).get()).empty).toBe(true);
  });

  it('a retry after a crash in the middle still unassigns their tasks', async () => {
    await seed();
    const crash = () => Promise.reject(new Error('instance died'));
    await expect(removeWorkspaceMember(db, clock, ann, 'w1', 'bob', crash)).rejects.toThrow(
      'instance died',
    );
    expect((await db.doc('tasks/t1').get()).get('assigneeId')).toBe('bob');
    // The retry: bob is already gone from the workspace.
    const retry = await removeWorkspaceMember(db, clock, ann, 'w1', 'bob', detachAll);
    expect(retry.removed).toBe(false);
    expect((await db.doc('tasks/t1').get()).get('assigneeId')).toBeNull();
  });

  it('a removed member cannot be added back to one of its projects', async () => {
    await seed();
    await removeWorkspaceMember(db, clock, ann, 'w1', 'bob', detachAll);
    await expect(addProjectMember(db, clock, ann, 'p1', 'bob')).rejects.toMatchObject({
      code: 'UNPROCESSABLE_ENTITY',
    });
    expect((await db.doc('projects/p1').get()).get('members')).not.toContain('bob');
  });
});
