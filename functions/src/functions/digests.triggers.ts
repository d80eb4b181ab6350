import { onDocumentWritten } from 'firebase-functions/firestore';
import { TRIGGER_OPTIONS } from '../config/runtime-options';

/**
 * `onUserProfileWritten`: keeps the user's digest schedule in step with their profile. The app
 * writes `timezone` and notification preferences straight to Firestore (firestore.rules allows
 * it), so the preferences API alone cannot see every change. Most profile writes change no digest
 * input and cost nothing beyond the invocation; retried on failure (rescheduling is idempotent).
 */
export const onUserProfileWritten = onDocumentWritten(
  { ...TRIGGER_OPTIONS, document: 'users/{uid}', retry: true },
  async (event) => {
    const [{ getRuntime }, { syncDigestSchedule }] = await Promise.all([
      import('../composition-root'),
      import('../domain/digests/digest-schedule.service'),
    ]);
    const { deps, logger } = getRuntime();
    const uid = event.params.uid;
    const result = await syncDigestSchedule(deps.db, deps.clock, uid, {
      before: event.data?.before.data(),
      after: event.data?.after.data(),
    });
    if (result.rescheduled) {
      logger.info('Digest schedule updated', {
        function: 'onUserProfileWritten',
        userId: uid,
        eventId: event.id,
      });
    }
  },
);
