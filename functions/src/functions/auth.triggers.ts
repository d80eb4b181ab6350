import type { CloudFunction, DeploymentOptions } from 'firebase-functions/v1';
import * as authV1 from 'firebase-functions/v1/auth';
import type { UserBuilder, UserOptions, UserRecord } from 'firebase-functions/v1/auth';
import { REGION } from '../config/params';
import { AUTH_TRIGGER_OPTIONS } from '../config/runtime-options';
import type { NewAccount } from '../domain/users/account.service';

/**
 * Auth user-created/deleted triggers exist only in 1st gen: 2nd gen has only blocking functions,
 * which run before an account is written, within a 7 s budget, and none on deletion.
 *
 * `functions.region(...).runWith(...)` lives in the `firebase-functions/v1` index, which loads
 * firebase-admin (its database and firestore providers) at module load: ~170 ms more on every cold
 * start of every function of this codebase. That builder ends in `_userWithOptions`, which
 * `firebase-functions/v1/auth` exports at run time but not in its typings; we call it directly.
 * test/unit/auth-triggers.test.ts checks the resulting manifest (region, retry, timeout), so an SDK
 * upgrade that drops it fails there, not in production.
 */
const userWithOptions = (
  authV1 as unknown as {
    _userWithOptions: (options: DeploymentOptions, userOptions: UserOptions) => UserBuilder;
  }
)._userWithOptions;

/**
 * Both handlers are idempotent, so a failed event is retried (up to 7 days) instead of leaving a
 * user without a profile or with half-deleted data.
 */
const user = (options: DeploymentOptions = {}) =>
  userWithOptions(
    { regions: [REGION], failurePolicy: true, ...AUTH_TRIGGER_OPTIONS, ...options },
    {},
  );

function accountOf(record: UserRecord): NewAccount {
  return {
    uid: record.uid,
    email: record.email,
    emailVerified: record.emailVerified,
    displayName: record.displayName,
    photoURL: record.photoURL,
  };
}

/** `onUserCreated`: creates `users/{uid}` with defaults for every new Auth account. */
export const onUserCreated: CloudFunction<UserRecord> = user().onCreate(async (record, context) => {
  const [{ getRuntime }, { createUserProfile }, { recordSuppressionCheck }] = await Promise.all([
    import('../composition-root'),
    import('../domain/users/account.service'),
    import('../domain/notifications/suppression-check.service'),
  ]);
  const { deps, logger } = getRuntime();
  const result = await createUserProfile(deps.db, deps.clock, accountOf(record));
  // The profile learns whether its address is suppressed now, so even the first email costs no
  // lookup (a redelivered event finds it settled and writes nothing).
  const suppression = await recordSuppressionCheck(deps.db, record.uid);
  logger.info(result.created ? 'User profile created' : 'User profile already there', {
    function: 'onUserCreated',
    userId: record.uid,
    eventId: context.eventId,
    ...result,
    emailSuppressed: suppression?.suppressed ?? null,
  });
});

/**
 * `onUserDeleted`: removes the account's personal data and its memberships. Works in bounded,
 * resumable batches; the long timeout lets a large account finish in one run, and a retry picks up
 * whatever a timed-out run left.
 */
export const onUserDeleted: CloudFunction<UserRecord> = user({ timeoutSeconds: 540 }).onDelete(
  async (record, context) => {
    const [{ getRuntime }, { deleteUserData }] = await Promise.all([
      import('../composition-root'),
      import('../domain/users/account.service'),
    ]);
    const { deps, logger } = getRuntime();
    const removed = await deleteUserData(deps.db, deps.clock, logger, record.uid);
    logger.info('User data deleted', {
      function: 'onUserDeleted',
      userId: record.uid,
      eventId: context.eventId,
      ...removed,
    });
  },
);
