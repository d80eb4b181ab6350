import { callableFor } from '../callable/callable';

/**
 * Callable twin of `GET /api/users/{userId}/export` (userId defaults to the caller). Returns the
 * export whole up to 5 MB; a larger one fails with failed-precondition and the REST route to use.
 */
export const exportUserData = callableFor(() =>
  import('../operations/export.operations').then((m) => m.exportUserDataOp),
);
