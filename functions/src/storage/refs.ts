import type { CollectionReference, DocumentReference, Firestore } from 'firebase-admin/firestore';
import {
  BACKFILLS,
  DELIVERIES,
  DEVICE_TOKENS,
  DIGEST_SCHEDULE,
  INVITATIONS,
  NOTIFICATIONS,
  PROJECTS,
  RUNS,
  SCHEDULED_JOBS,
  SWEEP_ERRORS,
  TASK_ASSIGNMENTS,
  TASK_SEARCH,
  TASKS,
  USERS,
  WORKSPACES,
} from './collections';
import { checkedConverter } from './converter';
import {
  assignmentDocSchema,
  backfillCheckpointDocSchema,
  deliveryDocSchema,
  digestScheduleDocSchema,
  invitationDocSchema,
  jobRunDocSchema,
  notificationDocSchema,
  projectDocSchema,
  scheduledJobDocSchema,
  sweepErrorDocSchema,
  taskDocSchema,
  taskSearchDocSchema,
  tokenOwnerDocSchema,
  workspaceDocSchema,
} from './documents';

/**
 * Typed references: `.get()`, `tx.get()` and queries through them answer documents checked by
 * their collection's schema (`documents.ts`). Writes are unchanged (the converters pass them
 * through). Each converter is also exported, for a reference that arrives untyped (`snap.ref`).
 */

export const taskConverter = checkedConverter(taskDocSchema);
export const projectConverter = checkedConverter(projectDocSchema);
export const workspaceConverter = checkedConverter(workspaceDocSchema);
export const notificationConverter = checkedConverter(notificationDocSchema);
export const invitationConverter = checkedConverter(invitationDocSchema);
export const tokenOwnerConverter = checkedConverter(tokenOwnerDocSchema);
export const taskSearchConverter = checkedConverter(taskSearchDocSchema);
export const assignmentConverter = checkedConverter(assignmentDocSchema);
export const backfillCheckpointConverter = checkedConverter(backfillCheckpointDocSchema);
export const digestScheduleConverter = checkedConverter(digestScheduleDocSchema);
export const deliveryConverter = checkedConverter(deliveryDocSchema);
export const scheduledJobConverter = checkedConverter(scheduledJobDocSchema);
export const jobRunConverter = checkedConverter(jobRunDocSchema);
export const sweepErrorConverter = checkedConverter(sweepErrorDocSchema);

type Converted<C> = C extends { fromFirestore: (...args: never[]) => infer T } ? T : never;
type Collection<C> = CollectionReference<Converted<C>>;
type Doc<C> = DocumentReference<Converted<C>>;

export const tasks = (db: Firestore): Collection<typeof taskConverter> =>
  db.collection(TASKS).withConverter(taskConverter);
export const taskRef = (db: Firestore, id: string): Doc<typeof taskConverter> => tasks(db).doc(id);

export const projects = (db: Firestore): Collection<typeof projectConverter> =>
  db.collection(PROJECTS).withConverter(projectConverter);
export const projectRef = (db: Firestore, id: string): Doc<typeof projectConverter> =>
  projects(db).doc(id);

export const workspaces = (db: Firestore): Collection<typeof workspaceConverter> =>
  db.collection(WORKSPACES).withConverter(workspaceConverter);
export const workspaceRef = (db: Firestore, id: string): Doc<typeof workspaceConverter> =>
  workspaces(db).doc(id);

/** `users/{uid}/notifications`: one user's inbox. */
export const inbox = (db: Firestore, uid: string): Collection<typeof notificationConverter> =>
  db.collection(USERS).doc(uid).collection(NOTIFICATIONS).withConverter(notificationConverter);

export const invitations = (db: Firestore): Collection<typeof invitationConverter> =>
  db.collection(INVITATIONS).withConverter(invitationConverter);
export const invitationRef = (db: Firestore, id: string): Doc<typeof invitationConverter> =>
  invitations(db).doc(id);

export const tokenOwners = (db: Firestore): Collection<typeof tokenOwnerConverter> =>
  db.collection(DEVICE_TOKENS).withConverter(tokenOwnerConverter);

export const taskSearchIndex = (db: Firestore): Collection<typeof taskSearchConverter> =>
  db.collection(TASK_SEARCH).withConverter(taskSearchConverter);

export const assignmentRef = (db: Firestore, taskId: string): Doc<typeof assignmentConverter> =>
  db.collection(TASK_ASSIGNMENTS).doc(taskId).withConverter(assignmentConverter);

export const backfillRef = (db: Firestore, name: string): Doc<typeof backfillCheckpointConverter> =>
  db.collection(BACKFILLS).doc(name).withConverter(backfillCheckpointConverter);

export const digestSchedules = (db: Firestore): Collection<typeof digestScheduleConverter> =>
  db.collection(DIGEST_SCHEDULE).withConverter(digestScheduleConverter);

export const deliveries = (db: Firestore): Collection<typeof deliveryConverter> =>
  db.collection(DELIVERIES).withConverter(deliveryConverter);

export const scheduledJobs = (db: Firestore): Collection<typeof scheduledJobConverter> =>
  db.collection(SCHEDULED_JOBS).withConverter(scheduledJobConverter);
export const scheduledJobRef = (db: Firestore, id: string): Doc<typeof scheduledJobConverter> =>
  scheduledJobs(db).doc(id);
export const jobRuns = (db: Firestore, jobId: string): Collection<typeof jobRunConverter> =>
  db.collection(SCHEDULED_JOBS).doc(jobId).collection(RUNS).withConverter(jobRunConverter);

export const sweepErrors = (db: Firestore): Collection<typeof sweepErrorConverter> =>
  db.collection(SWEEP_ERRORS).withConverter(sweepErrorConverter);
