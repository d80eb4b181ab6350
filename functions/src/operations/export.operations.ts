import { z } from 'zod';
import { assertSelfOrAdmin, defineOperation, type OperationContext } from '../core/operation';
import { uid } from '../domain/shared.schema';
import { userExportSchema } from '../domain/users/export.schema';
import { CALLABLE_EXPORT_MAX_BYTES } from '../domain/users/export-plan';
import { collectUserExport, writeUserExport } from '../domain/users/export.service';

/**
 * Own data, or an admin's. Always with a token checked for revocation — for the user too, not only
 * for admins as {@link assertSelfOrAdmin} does: the export hands over everything at once, so a
 * stolen (revoked) token must not be able to take it.
 */
async function authorizeExport(ctx: OperationContext, userId: string): Promise<void> {
  await assertSelfOrAdmin(ctx, userId);
  await ctx.requireFreshToken();
}

/** `taskflow-export-<uid>.json`, with anything unusual in the uid replaced. */
function exportFileName(userId: string): string {
  return `taskflow-export-${userId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`;
}

export const exportUserDataOp = defineOperation({
  name: 'exportUserData',
  summary: 'Download everything stored about a user as JSON (GDPR access and portability)',
  description:
    'Own data, or admin; the ID token is checked for revocation. Profile, preferences, devices ' +
    '(FCM tokens cut to their last 6 characters), inbox, activity, statistics, tasks created or ' +
    'assigned, workspace and project memberships (own role only), delivery records and email ' +
    'suppression. REST streams it as an attachment (`taskflow-export-<uid>.json`) in bounded ' +
    `memory; the callable returns it whole up to ${CALLABLE_EXPORT_MAX_BYTES / 1024 / 1024} MB ` +
    'and otherwise fails with failed-precondition naming this REST route.',
  access: 'user',
  callerDefaults: ['userId'],
  http: { method: 'get', path: '/users/:userId/export', tags: ['users'] },
  input: z.strictObject({ userId: uid }),
  output: userExportSchema,
  async handler({ userId }, ctx) {
    await authorizeExport(ctx, userId);
    const result = await collectUserExport(ctx.deps.db, ctx.deps.clock, userId, {
      maxBytes: CALLABLE_EXPORT_MAX_BYTES,
    });
    ctx.logger.info('User data exported', { userId, door: 'callable', ...result.counts });
    return result;
  },
  async httpStream({ userId }, ctx, out) {
    await authorizeExport(ctx, userId);
    out.setHeader('Content-Type', 'application/json; charset=utf-8');
    out.setHeader('Content-Disposition', `attachment; filename="${exportFileName(userId)}"`);
    // Personal data: no shared cache may keep a copy.
    out.setHeader('Cache-Control', 'no-store');
    const counts = await writeUserExport(ctx.deps.db, ctx.deps.clock, userId, (chunk) =>
      out.write(chunk),
    );
    ctx.logger.info('User data exported', { userId, door: 'rest', ...counts });
  },
});
