/**
 * A task document as stored (the fields firestore.rules and the task service write), for tests
 * that drive triggers and sweeps with hand-made documents: "Ship v1" in project p1 of workspace
 * w1, created and last written by `ann`, unassigned, to do, no due date. Pass what differs.
 */
export function taskDoc(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: 'Ship v1',
    description: '',
    projectId: 'p1',
    workspaceId: 'w1',
    createdBy: 'ann',
    updatedBy: 'ann',
    assigneeId: null,
    status: 'todo',
    priority: 'medium',
    dueDate: null,
    completedAt: null,
    recurrence: null,
    deletedAt: null,
    ...over,
  };
}
