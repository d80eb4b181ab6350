import type { z } from 'zod';
import type { QueryShape } from '../../core/query-shape';
import type { ExportedTask, ExportedWorkspace } from './export.schema';
import {
  DEVICES,
  NOTIFICATIONS,
  WORKSPACES,
  PROJECTS,
  TASKS,
  ACTIVITY,
  USER_STATS_DAYS,
  DELIVERIES,
} from '../../storage/collections';

/**
 * What a user's data export reads and how it is written, decided without reading anything: the
 * page sizes, the queries (each paged in document-id order), the streaming JSON writer, which
 * tasks a user gets in full, and the role a workspace entry shows. `export.service.ts` reads the
 * documents and feeds them through these.
 */

/** Documents read per query page: bounds the memory of an export whatever the user's history. */
export const EXPORT_PAGE_SIZE = 500;
/** The callable door returns the export whole up to this size; larger ones stream over REST. */
export const CALLABLE_EXPORT_MAX_BYTES = 5 * 1024 * 1024;

const byUser = (collection: string, field: string): QueryShape => ({
  collection,
  equals: [field],
  orderBy: [],
});
const all = (collection: string): QueryShape => ({ collection, equals: [], orderBy: [] });
export const memberOf = (collection: string): QueryShape => ({
  collection,
  equals: [],
  arrayContains: 'members',
  orderBy: [],
});

export const TASKS_CREATED_BY_QUERY = byUser(TASKS, 'createdBy');
export const TASKS_ASSIGNED_TO_QUERY = byUser(TASKS, 'assigneeId');
export const ACTIVITY_OF_USER_QUERY = byUser(ACTIVITY, 'userId');
export const DELIVERIES_TO_QUERY = byUser(DELIVERIES, 'recipientId');

/** Every query shape the export runs (each paged in document-id order), for the index catalog. */
export const EXPORT_QUERIES: readonly QueryShape[] = [
  all(DEVICES),
  all(NOTIFICATIONS),
  ACTIVITY_OF_USER_QUERY,
  all(USER_STATS_DAYS),
  TASKS_CREATED_BY_QUERY,
  TASKS_ASSIGNED_TO_QUERY,
  memberOf(WORKSPACES),
  memberOf(PROJECTS),
  DELIVERIES_TO_QUERY,
];

/** Where the export's JSON text goes, piece by piece; resolves when more may be written. */
export type ChunkSink = (chunk: string) => Promise<void>;

/**
 * Writes one JSON object member by member — arrays page by page — so a document of any size is
 * produced with the memory of one page.
 */
export class JsonObjectWriter {
  private members = 0;

  constructor(private readonly sink: ChunkSink) {}

  open(): Promise<void> {
    return this.sink('{');
  }

  close(): Promise<void> {
    return this.sink('}');
  }

  private key(name: string): string {
    return `${this.members++ === 0 ? '' : ','}${JSON.stringify(name)}:`;
  }

  member(name: string, value: unknown): Promise<void> {
    return this.sink(this.key(name) + JSON.stringify(value));
  }

  /** Writes `name: [...]` from pages of items, each checked by `schema`; returns the item count. */
  async array<S extends z.ZodType>(
    name: string,
    schema: S,
    pages: AsyncIterable<readonly z.input<S>[]>,
  ): Promise<number> {
    let written = 0;
    let text = `${this.key(name)}[`;
    for await (const page of pages) {
      for (const item of page) {
        text += (written++ === 0 ? '' : ',') + JSON.stringify(schema.parse(item));
      }
      if (text !== '') await this.sink(text);
      text = '';
    }
    await this.sink(`${text}]`);
    return written;
  }
}

/** The fields of a stored task the export rule looks at (raw: anything may be stored). */
export interface TaskExportFields {
  createdBy?: unknown;
  assigneeId?: unknown;
  projectId?: unknown;
}

/**
 * How a task is exported. The rule: the user gets what they may still see — every task of a
 * project they belong to, and every task assigned to them — in full; of a task they created in a
 * project they have since left, only that they created it (the content is the project's: others
 * may have rewritten it since, and the user has no right to read it any more).
 */
export function taskExportScope(
  task: TaskExportFields,
  userId: string,
  projectsNow: ReadonlySet<string>,
): Pick<ExportedTask, 'relation' | 'scope'> {
  const relation: ExportedTask['relation'] = [];
  if (task.createdBy === userId) relation.push('creator');
  if (task.assigneeId === userId) relation.push('assignee');
  // Project ids are strings (the rules admit no other): anything else is no project of the user's.
  const visible =
    task.assigneeId === userId ||
    (typeof task.projectId === 'string' && projectsNow.has(task.projectId));
  return { relation, scope: visible ? 'full' : 'authorship' };
}

/** The user's role as a workspace entry shows it: owner or admin as stored, anything else member. */
export function exportedRole(roles: unknown, userId: string): ExportedWorkspace['role'] {
  const entries: [string, unknown][] =
    typeof roles === 'object' && roles !== null ? Object.entries(roles) : [];
  const role = entries.find(([uid]) => uid === userId)?.[1];
  return role === 'owner' || role === 'admin' ? role : 'member';
}
