import type { QueryShape } from '../../core/query-shape';
import { DUE_RECURRENCES_QUERY } from '../tasks/recurrence.service';
import {
  DELIVERY_CLAIMS_QUERY,
  FINISHED_DELIVERIES_QUERY,
  JOBS_BY_ID_QUERY,
  OLD_READ_INBOX_QUERY,
  OLD_RUNS_QUERY,
  OLD_SENDS_QUERY,
  STALE_DEVICE_TOKENS_QUERY,
} from './cleanup.service';
import { DUE_JOBS_QUERY } from './dispatch-policy';
import { JOBS_LIST_QUERY, RUNS_LIST_QUERY } from './job.service';
import { SCHEDULED_JOBS, RUNS, SENDS } from '../../storage/collections';

/** Every query the scheduling engine runs, for `src/domain/query-catalog.ts`. */
export const SCHEDULING_QUERIES: readonly QueryShape[] = [
  // The dispatcher: enabled jobs whose nextRunAt has passed.
  DUE_JOBS_QUERY,
  // The jobs API: the listing and a job's run history; deleting a job's runs and send claims.
  JOBS_LIST_QUERY,
  RUNS_LIST_QUERY,
  { collection: RUNS, equals: [], orderBy: [] },
  { collection: SENDS, equals: [], orderBy: [] },
  // `npm run job:run -- <taskType>` (scripts/run-job.cjs): the stored jobs of one type.
  { collection: SCHEDULED_JOBS, equals: ['taskType'], orderBy: [] },
  // Recurring tasks (on_due): armed tasks whose due time has passed.
  DUE_RECURRENCES_QUERY,
  // The daily cleanup.
  OLD_READ_INBOX_QUERY,
  STALE_DEVICE_TOKENS_QUERY,
  FINISHED_DELIVERIES_QUERY,
  DELIVERY_CLAIMS_QUERY,
  JOBS_BY_ID_QUERY,
  OLD_RUNS_QUERY,
  OLD_SENDS_QUERY,
];
