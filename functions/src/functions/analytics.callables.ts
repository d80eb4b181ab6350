import { callableFor } from '../callable/callable';

const analytics = () => import('../operations/analytics.operations');

/**
 * Activity events and summaries for the Flutter app: the same operations as
 * `POST /api/analytics/event` and `GET /api/analytics/user-summary`; `userId` defaults to the caller.
 */
export const recordAnalyticsEvent = callableFor(() =>
  analytics().then((m) => m.recordAnalyticsEventOp),
);
export const getUserSummary = callableFor(() => analytics().then((m) => m.getUserSummaryOp));
