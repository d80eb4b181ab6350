import { z } from 'zod';
import { assertSelfOrAdmin, defineOperation } from '../core/operation';
import { deviceIdSchema, fcmTokenSchema, platformSchema } from '../domain/users/devices.schema';
import { registerDevice, unregisterDevice } from '../domain/users/devices.service';
import {
  notificationPreferencesSchema,
  preferencesPatchSchema,
} from '../domain/users/preferences.schema';
import { getPreferences, updatePreferences } from '../domain/users/preferences.service';

const userId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^/]+$/, 'must be a user id')
  .meta({ description: 'Firebase Auth uid', example: 'user_123' });

const success = z.literal(true);

export const getPreferencesOp = defineOperation({
  name: 'getPreferences',
  summary: "Get a user's notification preferences",
  description: 'Defaults are returned for a user who never saved any. Own data, or admin.',
  access: 'user',
  callerDefaults: ['userId'],
  http: { method: 'get', path: '/users/:userId/preferences', tags: ['users'] },
  input: z.strictObject({ userId }),
  output: z.object({ userId: z.string(), preferences: notificationPreferencesSchema }),
  async handler({ userId }, ctx) {
    await assertSelfOrAdmin(ctx, userId);
    return { userId, preferences: await getPreferences(ctx.deps.db, userId) };
  },
});

export const updatePreferencesOp = defineOperation({
  name: 'updatePreferences',
  summary: "Update a user's notification preferences",
  description:
    'Merges the given keys into the stored preferences; unknown keys are rejected. Own data, or admin.',
  access: 'user',
  callerDefaults: ['userId'],
  http: { method: 'put', path: '/users/:userId/preferences', tags: ['users'] },
  input: z.strictObject({ userId, preferences: preferencesPatchSchema }),
  output: z.object({
    success,
    message: z.string(),
    preferences: notificationPreferencesSchema,
  }),
  async handler({ userId, preferences }, ctx) {
    await assertSelfOrAdmin(ctx, userId);
    const saved = await updatePreferences(ctx.deps.db, ctx.deps.clock, userId, preferences);
    ctx.logger.info('Preferences updated', { userId, keys: Object.keys(preferences) });
    return {
      success: true as const,
      message: 'Preferences updated successfully',
      preferences: saved,
    };
  },
});

export const registerDeviceOp = defineOperation({
  name: 'registerDevice',
  summary: 'Register an FCM token for one of the user’s devices',
  description:
    'Idempotent. A token belongs to one device of one user: registering it elsewhere moves it.',
  access: 'user',
  callerDefaults: ['userId'],
  http: { method: 'post', path: '/users/:userId/devices', successStatus: 201, tags: ['users'] },
  input: z.strictObject({
    userId,
    token: fcmTokenSchema,
    platform: platformSchema,
    deviceId: deviceIdSchema.optional(),
  }),
  output: z.object({ success, deviceId: z.string() }),
  async handler({ userId, token, platform, deviceId }, ctx) {
    await assertSelfOrAdmin(ctx, userId);
    const result = await registerDevice(ctx.deps.db, ctx.deps.clock, userId, {
      token,
      platform,
      deviceId,
    });
    ctx.logger.info('Device registered', { userId, deviceId: result.deviceId, platform });
    return { success: true as const, deviceId: result.deviceId };
  },
});

export const unregisterDeviceOp = defineOperation({
  name: 'unregisterDevice',
  summary: 'Unregister one of the user’s devices (by token or device id)',
  description: 'Idempotent: `removed` is false when there was nothing to remove.',
  access: 'user',
  callerDefaults: ['userId'],
  http: { method: 'delete', path: '/users/:userId/devices', tags: ['users'] },
  input: z
    .strictObject({ userId, token: fcmTokenSchema.optional(), deviceId: deviceIdSchema.optional() })
    .refine((i) => i.token !== undefined || i.deviceId !== undefined, {
      message: 'token or deviceId is required',
      path: ['token'],
    }),
  output: z.object({ success, removed: z.boolean() }),
  async handler({ userId, token, deviceId }, ctx) {
    await assertSelfOrAdmin(ctx, userId);
    const { removed } = await unregisterDevice(ctx.deps.db, userId, { token, deviceId });
    ctx.logger.info('Device unregistered', { userId, removed });
    return { success: true as const, removed };
  },
});
