import { onDocumentWritten } from 'firebase-functions/firestore';
import { z } from 'zod';
import { REGION } from '../config/params';
import type { TaskState } from '../domain/notifications/task-events';

/** The task fields the notification rules read; anything else in the document is ignored. */
const taskStateSchema = z.object({
  title: z.string(),
  projectId: z.string(),
  createdBy: z.string(),
  updatedBy: z.string().nullable().default(null),
  assigneeId: z.string().nullable().default(null),
  status: z.enum(['todo', 'in_progress', 'done']),
  deletedAt: z.unknown().default(null),
});

function parseTask(data: unknown): TaskState | null | 'invalid' {
  if (data === undefined) return null;
  const parsed = taskStateSchema.safeParse(data);
  return parsed.success ? parsed.data : 'invalid';
}

/**
 * `onTaskWritten`: task assigned/reassigned, status changed or completed → notifications.
 * Delivered at least once and retried on failure; the domain makes each effect exactly once.
 * A document that is not a valid task is logged and skipped (a retry could not fix it).
 */
export const onTaskWritten = onDocumentWritten(
  { document: 'tasks/{taskId}', region: REGION, retry: true },
  async (event) => {
    const [{ getRuntime }, { notifyTaskWrite }] = await Promise.all([
      import('../composition-root'),
      import('../domain/notifications/task-notifier'),
    ]);
    const { deps, logger } = getRuntime();
    const log = logger.child({ function: 'onTaskWritten', eventId: event.id });
    const before = parseTask(event.data?.before.data());
    const after = parseTask(event.data?.after.data());
    if (before === 'invalid' || after === 'invalid') {
      log.warn('Not a valid task; no notifications', { taskId: event.params.taskId });
      return;
    }
    await notifyTaskWrite(deps.db, deps.clock, log, {
      eventId: event.id,
      taskId: event.params.taskId,
      before,
      after,
    });
  },
);
