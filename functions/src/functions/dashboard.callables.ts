import { callableFor } from '../callable/callable';

/** Callable twin of `GET /api/dashboard/stats`: the same operation, the same scopes and rules. */
export const getDashboardStats = callableFor(() =>
  import('../operations/dashboard.operations').then((m) => m.getDashboardStatsOp),
);
