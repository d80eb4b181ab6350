/**
 * Enqueueing to a Cloud Tasks task-queue function through firebase-admin
 * (`getFunctions().taskQueue`), in production and under the Cloud Tasks emulator
 * (`CLOUD_TASKS_EMULATOR_HOST`). Every payload goes under a deterministic task id: an id Cloud Tasks
 * already has (it refuses ids used in roughly the last hour — an overlapping sweep, a repeated
 * request, a redelivered task enqueueing its successor again) is answered `duplicate`, not an error.
 */

/** What the adapter uses of firebase-admin's `TaskQueue` (the real one in production). */
export interface TaskQueueTransport {
  enqueue(data: object, options?: { id?: string; dispatchDeadlineSeconds?: number }): Promise<void>;
}

/** firebase-admin's code for a task id Cloud Tasks has seen recently (HTTP 409 ALREADY_EXISTS). */
export const TASK_ALREADY_EXISTS = 'functions/task-already-exists';

/** The port every queue of the domain has: enqueue a payload under an id. */
export interface IdempotentQueue<T> {
  enqueue(payload: T, options: { id: string }): Promise<'enqueued' | 'duplicate'>;
}

function errorCode(e: unknown): unknown {
  if (typeof e !== 'object' || e === null) return undefined;
  const withCode = e as { code?: unknown; errorInfo?: { code?: unknown } };
  return withCode.code ?? withCode.errorInfo?.code;
}

export function cloudTasksQueue<T extends object>(
  queue: TaskQueueTransport,
  options: { dispatchDeadlineSeconds?: number } = {},
): IdempotentQueue<T> {
  return {
    async enqueue(payload, { id }) {
      try {
        await queue.enqueue(
          { ...payload },
          {
            id,
            ...(options.dispatchDeadlineSeconds === undefined
              ? {}
              : { dispatchDeadlineSeconds: options.dispatchDeadlineSeconds }),
          },
        );
        return 'enqueued';
      } catch (e) {
        if (errorCode(e) === TASK_ALREADY_EXISTS) return 'duplicate';
        throw e;
      }
    },
  };
}
