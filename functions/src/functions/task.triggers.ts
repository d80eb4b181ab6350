import { onDocumentWritten } from 'firebase-functions/firestore';
import { NOTIFY_SECRETS } from '../config/params';
import { TRIGGER_OPTIONS } from '../config/runtime-options';

/**
 * `onTaskWritten`: every write to a task, delivered at least once and retried on failure. A thin
 * adapter: the event's before/after data goes through the task-write pipeline
 * (`domain/tasks/task-pipeline.service.ts`: notifications, reminders, analytics, recurrence, search — each
 * idempotent, each isolated); if any effect failed the event fails, after all of them ran, and is
 * retried.
 */
export const onTaskWritten = onDocumentWritten(
  { ...TRIGGER_OPTIONS, document: 'tasks/{taskId}', retry: true, secrets: NOTIFY_SECRETS },
  async (event) => {
    const [{ getRuntime }, { runTaskPipeline }] = await Promise.all([
      import('../composition-root'),
      import('../domain/tasks/task-pipeline.service'),
    ]);
    const runtime = getRuntime();
    const taskId = event.params.taskId;
    const logger = runtime.logger.child({ function: 'onTaskWritten', eventId: event.id, taskId });
    const { failed } = await runTaskPipeline(
      { deps: runtime.deps, logger },
      {
        eventId: event.id,
        taskId,
        before: event.data?.before.data(),
        after: event.data?.after.data(),
        occurredAt: new Date(event.time),
      },
    );
    if (failed.length > 0) {
      logger.error('Task write effects failed; the event will be retried', { failed });
      throw new Error(`onTaskWritten: ${failed.map((f) => f.effect).join(', ')} failed`);
    }
  },
);
