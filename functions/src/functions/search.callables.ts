import { callableFor } from '../callable/callable';

const tasks = () => import('../operations/tasks.operations');

/** Task search for the Flutter app: the same operation as `GET /api/tasks/search`. */
export const searchTasks = callableFor(() => tasks().then((m) => m.searchTasksOp));
