import type { CollectionReference, DocumentReference, Firestore } from 'firebase-admin/firestore';
import {
  ACTIVITY,
  BACKFILLS,
  CLAIMS,
  DELIVERIES,
  DEVICE_TOKENS,
  DEVICES,
  DIGEST_SCHEDULE,
  DIGESTS,
  INVITATION_EMAILS,
  INVITATIONS,
  JOB_HEALTH,
  MEMBER_REMOVALS,
  NOTIFICATIONS,
  PROJECTS,
  RUNS,
  SCHEDULED_JOBS,
  SWEEP_ERRORS,
  TASK_ASSIGNMENTS,
  TASK_SCHEDULES,
  TASK_SEARCH,
  TASKS,
  USERS,
  WORKSPACES,
} from './collections';
import { checkedConverter } from './converter';
import type { ActivityDoc } from '../domain/analytics/activity.schema';
import type { DigestMarkerDoc, DigestScheduleDoc } from '../domain/digests/digest.schema';
import type { InvitationDoc } from '../domain/invitations/invitation.schema';
import type { DeliveryDoc } from '../domain/notifications/delivery-records.service';
import type { NotificationDoc } from '../domain/notifications/inbox.schema';
import type { ProjectDoc } from '../domain/projects/project.schema';
import type { JobRunDoc, ScheduledJobDoc } from '../domain/scheduling/job.schema';
import type { SweepErrorDoc } from '../domain/scheduling/sweep-errors.service';
import type { TaskSearchDoc } from '../domain/search/task-search.service';
import type { TaskDoc } from '../domain/tasks/task.schema';
import type { WorkspaceDoc } from '../domain/workspaces/workspace.schema';
import {
  type AssignmentDoc,
  type BackfillCheckpointDoc,
  type DeliveryClaimDoc,
  type DeviceDoc,
  type DirectSendDoc,
  type InvitationEmailDoc,
  type MemberRemovalDoc,
  type TaskScheduleDoc,
  type TokenOwnerDoc,
  activityDocSchema,
  assignmentDocSchema,
  backfillCheckpointDocSchema,
  memberRemovalDocSchema,
  deliveryDocSchema,
  digestScheduleDocSchema,
  invitationDocSchema,
  invitationEmailDocSchema,
  deliveryClaimDocSchema,
  deviceDocSchema,
  digestMarkerDocSchema,
  directSendDocSchema,
  jobHealthDocSchema,
  jobRunDocSchema,
  notificationDocSchema,
  projectDocSchema,
  scheduledJobDocSchema,
  sweepErrorDocSchema,
  taskDocSchema,
  taskScheduleDocSchema,
  taskSearchDocSchema,
  tokenOwnerDocSchema,
  workspaceDocSchema,
} from './documents';

/**
 * Typed references: `.get()`, `tx.get()` and queries through them answer documents checked by
 * their collection's schema (`documents.ts`). Writes are unchanged (the converters pass them
 * through). Each converter is also exported, for a reference that arrives untyped (`snap.ref`).
 */

export const taskConverter = checkedConverter<TaskDoc>(taskDocSchema);
export const projectConverter = checkedConverter<ProjectDoc>(projectDocSchema);
export const workspaceConverter = checkedConverter<WorkspaceDoc>(workspaceDocSchema);
export const notificationConverter = checkedConverter<NotificationDoc>(notificationDocSchema);
export const invitationConverter = checkedConverter<InvitationDoc>(invitationDocSchema);
export const invitationEmailConverter =
  checkedConverter<InvitationEmailDoc>(invitationEmailDocSchema);
export const tokenOwnerConverter = checkedConverter<TokenOwnerDoc>(tokenOwnerDocSchema);
export const taskSearchConverter = checkedConverter<TaskSearchDoc>(taskSearchDocSchema);
export const taskScheduleConverter = checkedConverter<TaskScheduleDoc>(taskScheduleDocSchema);
export const assignmentConverter = checkedConverter<AssignmentDoc>(assignmentDocSchema);
export const memberRemovalConverter = checkedConverter<MemberRemovalDoc>(memberRemovalDocSchema);
export const backfillCheckpointConverter = checkedConverter<BackfillCheckpointDoc>(
  backfillCheckpointDocSchema,
);
export const deviceConverter = checkedConverter<DeviceDoc>(deviceDocSchema);
export const digestMarkerConverter = checkedConverter<DigestMarkerDoc>(digestMarkerDocSchema);
export const deliveryClaimConverter = checkedConverter<DeliveryClaimDoc>(deliveryClaimDocSchema);
export const directSendConverter = checkedConverter<DirectSendDoc>(directSendDocSchema);
export const jobHealthConverter = checkedConverter(jobHealthDocSchema);
export const activityConverter = checkedConverter<ActivityDoc>(activityDocSchema);
export const digestScheduleConverter = checkedConverter<DigestScheduleDoc>(digestScheduleDocSchema);
export const deliveryConverter = checkedConverter<DeliveryDoc>(deliveryDocSchema);
export const scheduledJobConverter = checkedConverter<ScheduledJobDoc>(scheduledJobDocSchema);
export const jobRunConverter = checkedConverter<JobRunDoc>(jobRunDocSchema);
export const sweepErrorConverter = checkedConverter<SweepErrorDoc>(sweepErrorDocSchema);

type Converted<C> = C extends { fromFirestore: (...args: never[]) => infer T } ? T : never;
type Collection<C> = CollectionReference<Converted<C>>;
type Doc<C> = DocumentReference<Converted<C>>;

export const taskDocs = (db: Firestore): Collection<typeof taskConverter> =>
  db.collection(TASKS).withConverter(taskConverter);
export const taskRef = (db: Firestore, id: string): Doc<typeof taskConverter> =>
  taskDocs(db).doc(id);

export const projectDocs = (db: Firestore): Collection<typeof projectConverter> =>
  db.collection(PROJECTS).withConverter(projectConverter);
export const projectRef = (db: Firestore, id: string): Doc<typeof projectConverter> =>
  projectDocs(db).doc(id);

export const workspaceDocs = (db: Firestore): Collection<typeof workspaceConverter> =>
  db.collection(WORKSPACES).withConverter(workspaceConverter);
export const workspaceRef = (db: Firestore, id: string): Doc<typeof workspaceConverter> =>
  workspaceDocs(db).doc(id);

/** `users/{uid}/devices`: one user's devices. */
export const deviceDocs = (db: Firestore, uid: string): Collection<typeof deviceConverter> =>
  db.collection(USERS).doc(uid).collection(DEVICES).withConverter(deviceConverter);

/** `users/{uid}/notifications`: one user's inbox. */
export const inboxDocs = (db: Firestore, uid: string): Collection<typeof notificationConverter> =>
  db.collection(USERS).doc(uid).collection(NOTIFICATIONS).withConverter(notificationConverter);

export const invitationDocs = (db: Firestore): Collection<typeof invitationConverter> =>
  db.collection(INVITATIONS).withConverter(invitationConverter);
export const invitationRef = (db: Firestore, id: string): Doc<typeof invitationConverter> =>
  invitationDocs(db).doc(id);

/** `invitations/{id}/emails/r{round}`: the claim of one round's email. */
export const invitationEmailRef = (
  db: Firestore,
  invitationId: string,
  round: number,
): Doc<typeof invitationEmailConverter> =>
  invitationRef(db, invitationId)
    .collection(INVITATION_EMAILS)
    .doc(`r${String(round)}`)
    .withConverter(invitationEmailConverter);

export const tokenOwnerDocs = (db: Firestore): Collection<typeof tokenOwnerConverter> =>
  db.collection(DEVICE_TOKENS).withConverter(tokenOwnerConverter);

export const taskSearchDocs = (db: Firestore): Collection<typeof taskSearchConverter> =>
  db.collection(TASK_SEARCH).withConverter(taskSearchConverter);

export const taskScheduleDocs = (db: Firestore): Collection<typeof taskScheduleConverter> =>
  db.collection(TASK_SCHEDULES).withConverter(taskScheduleConverter);
/** `taskSchedules/{taskId}`: the schedule of one task (same id as the task). */
export const taskScheduleRef = (db: Firestore, taskId: string): Doc<typeof taskScheduleConverter> =>
  taskScheduleDocs(db).doc(taskId);

export const assignmentRef = (db: Firestore, taskId: string): Doc<typeof assignmentConverter> =>
  db.collection(TASK_ASSIGNMENTS).doc(taskId).withConverter(assignmentConverter);

export const memberRemovalRef = (
  db: Firestore,
  workspaceId: string,
  userId: string,
): Doc<typeof memberRemovalConverter> =>
  db
    .collection(MEMBER_REMOVALS)
    .doc(`${workspaceId}_${userId}`)
    .withConverter(memberRemovalConverter);

export const backfillRef = (db: Firestore, name: string): Doc<typeof backfillCheckpointConverter> =>
  db.collection(BACKFILLS).doc(name).withConverter(backfillCheckpointConverter);

export const activityDocs = (db: Firestore): Collection<typeof activityConverter> =>
  db.collection(ACTIVITY).withConverter(activityConverter);

export const digestScheduleDocs = (db: Firestore): Collection<typeof digestScheduleConverter> =>
  db.collection(DIGEST_SCHEDULE).withConverter(digestScheduleConverter);

export const deliveryDocs = (db: Firestore): Collection<typeof deliveryConverter> =>
  db.collection(DELIVERIES).withConverter(deliveryConverter);

export const scheduledJobDocs = (db: Firestore): Collection<typeof scheduledJobConverter> =>
  db.collection(SCHEDULED_JOBS).withConverter(scheduledJobConverter);
export const scheduledJobRef = (db: Firestore, id: string): Doc<typeof scheduledJobConverter> =>
  scheduledJobDocs(db).doc(id);
export const jobRunDocs = (db: Firestore, jobId: string): Collection<typeof jobRunConverter> =>
  db.collection(SCHEDULED_JOBS).doc(jobId).collection(RUNS).withConverter(jobRunConverter);

export const sweepErrorDocs = (db: Firestore): Collection<typeof sweepErrorConverter> =>
  db.collection(SWEEP_ERRORS).withConverter(sweepErrorConverter);

/** `digests/{id}`: the claim and outcome of one digest. */
export const digestMarkerRef = (db: Firestore, id: string): Doc<typeof digestMarkerConverter> =>
  db.collection(DIGESTS).doc(id).withConverter(digestMarkerConverter);

/** `deliveries/{id}/claims/v{version}`: the claim of one release attempt. */
export const deliveryClaimRef = (
  db: Firestore,
  deliveryId: string,
  version: number,
): Doc<typeof deliveryClaimConverter> =>
  db
    .collection(DELIVERIES)
    .doc(deliveryId)
    .collection(CLAIMS)
    .doc(`v${String(version)}`)
    .withConverter(deliveryClaimConverter);

/** `deliveries/{id}` of a direct push (its own shape, not an engine record). */
export const directSendRef = (db: Firestore, id: string): Doc<typeof directSendConverter> =>
  db.collection(DELIVERIES).doc(id).withConverter(directSendConverter);

export const jobHealthDocs = (db: Firestore): Collection<typeof jobHealthConverter> =>
  db.collection(JOB_HEALTH).withConverter(jobHealthConverter);
