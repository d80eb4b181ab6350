import { z } from 'zod';
import { defineOperation, requireCaller } from '../core/operation';
import { notificationIdSchema, notificationSchema } from '../domain/notifications/inbox.schema';
import {
  MAX_BULK_DELETE,
  deleteNotification,
  deleteNotifications,
  getNotification,
  getUnreadCount,
  listNotifications,
  markAllNotificationsRead,
  markNotification,
} from '../domain/notifications/inbox.service';
import { flagField, pageLimitField, success } from './fields';

// Every inbox operation acts on the caller's own inbox (`users/{caller}/notifications`): there is
// no user id to pass, so another user's item is simply not found.
const tags = ['notifications'];
const notificationId = notificationIdSchema;
const count = z.number().int().min(0);

export const listNotificationsOp = defineOperation({
  name: 'listNotifications',
  summary: 'List your notifications, newest first, with cursor pagination',
  description:
    'Pass `nextCursor` back as `cursor` for the next page; `unreadOnly: true` (REST: ' +
    '`unread_only=true`) for the unread tab. ' +
    'The inbox totals come as `totalCount`/`unreadCount` and, over REST, as the `X-Total-Count` ' +
    'and `X-Unread-Count` headers.',
  access: 'user',
  http: { method: 'get', path: '/notifications', tags },
  restNames: { unreadOnly: 'unread_only' },
  input: z.strictObject({
    limit: pageLimitField(20),
    cursor: z.string().max(1000).optional(),
    unreadOnly: flagField,
  }),
  output: z.object({
    notifications: z.array(notificationSchema),
    nextCursor: z.string().nullable(),
    totalCount: count,
    unreadCount: count,
  }),
  httpHeaders: {
    'X-Total-Count': { description: 'Items in the inbox', value: (o) => o.totalCount },
    'X-Unread-Count': { description: 'Unread items in the inbox', value: (o) => o.unreadCount },
  },
  handler: ({ limit, cursor, unreadOnly }, ctx) =>
    listNotifications(ctx.deps.db, requireCaller(ctx).uid, { limit, cursor, unreadOnly }),
});

export const getUnreadCountOp = defineOperation({
  name: 'getUnreadCount',
  summary: 'How many of your notifications are unread (for the badge)',
  access: 'user',
  http: { method: 'get', path: '/notifications/unread/count', tags },
  input: z.strictObject({}),
  output: z.object({ unreadCount: count }),
  handler: async (_input, ctx) => ({
    unreadCount: await getUnreadCount(ctx.deps.db, requireCaller(ctx).uid),
  }),
});

export const markAllNotificationsReadOp = defineOperation({
  name: 'markAllNotificationsRead',
  summary: 'Mark every unread notification of yours read',
  description: '`updated` is how many were unread (0 when there were none).',
  access: 'user',
  http: { method: 'put', path: '/notifications/mark-all-read', tags },
  input: z.strictObject({}),
  output: z.object({ success, updated: count }),
  async handler(_input, ctx) {
    const updated = await markAllNotificationsRead(
      ctx.deps.db,
      ctx.deps.clock,
      requireCaller(ctx).uid,
    );
    ctx.logger.info('Notifications marked read', { updated });
    return { success: true as const, updated };
  },
});

export const getNotificationOp = defineOperation({
  name: 'getNotification',
  summary: 'Get one of your notifications',
  access: 'user',
  http: { method: 'get', path: '/notifications/:notificationId', tags },
  input: z.strictObject({ notificationId }),
  output: notificationSchema,
  handler: ({ notificationId }, ctx) =>
    getNotification(ctx.deps.db, requireCaller(ctx).uid, notificationId),
});

export const markNotificationOp = defineOperation({
  name: 'markNotification',
  summary: 'Mark one of your notifications read or unread',
  description: 'Read sets `readAt` (kept when it was read already); unread clears it. Idempotent.',
  access: 'user',
  http: { method: 'put', path: '/notifications/:notificationId', tags },
  input: z.strictObject({ notificationId, read: z.boolean() }),
  output: notificationSchema,
  handler: ({ notificationId, read }, ctx) =>
    markNotification(ctx.deps.db, ctx.deps.clock, requireCaller(ctx).uid, notificationId, read),
});

export const deleteNotificationOp = defineOperation({
  name: 'deleteNotification',
  summary: 'Delete one of your notifications',
  description: 'Idempotent: `deleted` is false when it was not there.',
  access: 'user',
  http: { method: 'delete', path: '/notifications/:notificationId', tags },
  input: z.strictObject({ notificationId }),
  output: z.object({ success, deleted: z.boolean() }),
  async handler({ notificationId }, ctx) {
    const { deleted } = await deleteNotification(
      ctx.deps.db,
      requireCaller(ctx).uid,
      notificationId,
    );
    return { success: true as const, deleted };
  },
});

export const deleteNotificationsOp = defineOperation({
  name: 'deleteNotifications',
  summary: `Delete up to ${MAX_BULK_DELETE} of your notifications at once`,
  description:
    '`ids` in the JSON body, or repeated in the query (`?ids=a&ids=b`). `deleted` counts the ' +
    'ones that existed.',
  access: 'user',
  http: { method: 'delete', path: '/notifications', tags },
  input: z.strictObject({
    ids: z.preprocess(
      // One `?ids=a` arrives from the query string as a plain string.
      (v) => (typeof v === 'string' ? [v] : v),
      z.array(notificationId).min(1).max(MAX_BULK_DELETE),
    ),
  }),
  output: z.object({ success, deleted: count }),
  async handler({ ids }, ctx) {
    const { deleted } = await deleteNotifications(ctx.deps.db, requireCaller(ctx).uid, ids);
    ctx.logger.info('Notifications deleted', { requested: ids.length, deleted });
    return { success: true as const, deleted };
  },
});
