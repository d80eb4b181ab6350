import { z } from 'zod';
import { assertSelfOrAdmin, defineOperation } from '../core/operation';
import {
  DECLARED_EVENT_TYPES,
  MAX_EVENT_DATA_BYTES,
  clientEventIdSchema,
  eventTypeSchema,
} from '../domain/analytics/activity.schema';
import { recordClientEvent } from '../domain/analytics/activity.service';
import { summaryPeriodSchema } from '../domain/analytics/summary-periods';
import { computeUserSummary, userSummarySchema } from '../domain/analytics/summary.service';
import { uid } from '../domain/shared.schema';
import { success } from './fields';

const tags = ['analytics'];

export const recordAnalyticsEventOp = defineOperation({
  name: 'recordAnalyticsEvent',
  summary: 'Record a user activity event',
  description:
    `\`eventType\`: ${DECLARED_EVENT_TYPES.join(', ')}, or \`custom.<name>\`. \`eventData\` is ` +
    'checked per type (task_*: taskId and projectId; focus_session: duration; duration is whole ' +
    `seconds 0–86400; custom: any object) and at most ${MAX_EVENT_DATA_BYTES} bytes as JSON ` +
    '(413 beyond). The time is the server’s. Pass your own `eventId` to make retries safe: the ' +
    'same id is stored once and answered with the same `eventId` (409 if reused for a different ' +
    'event). `userId` is yours unless you are an admin (default: you; 404 for an unknown user). ' +
    'Task lifecycle figures ' +
    'come from the server’s own task events; a client event adds its `duration` to hours worked.',
  access: 'user',
  callerDefaults: ['userId'],
  http: { method: 'post', path: '/analytics/event', successStatus: 201, tags },
  input: z.strictObject({
    userId: uid,
    eventType: eventTypeSchema,
    eventData: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({ example: { taskId: 'task_456', projectId: 'project_789', duration: 3600 } }),
    eventId: clientEventIdSchema.optional(),
  }),
  output: z.object({ success, eventId: z.string().meta({ example: 'c_5f0c…' }) }),
  async handler(input, ctx) {
    const caller = await assertSelfOrAdmin(ctx, input.userId);
    const { eventId, created } = await recordClientEvent(
      ctx.deps.db,
      ctx.deps.clock,
      { ...input, requireProfile: caller.uid !== input.userId },
      { retentionDays: ctx.deps.analyticsRetentionDays },
    );
    ctx.logger.info(created ? 'Analytics event recorded' : 'Analytics event already recorded', {
      eventType: input.eventType,
      eventId,
      subjectId: input.userId,
    });
    return { success: true as const, eventId };
  },
});

export const getUserSummaryOp = defineOperation({
  name: 'getUserSummary',
  summary: "Get a user's activity summary for the current day, week or month",
  description:
    'Periods are in the user’s time zone: daily = today, weekly = the ISO week (Monday–Sunday) ' +
    'containing today, monthly = the calendar month; figures cover the period up to now. ' +
    '`improvement` compares tasksCompleted with the same elapsed days of the previous period. ' +
    'Each figure is defined in docs/analytics.md. Own data, or admin.',
  access: 'user',
  callerDefaults: ['userId'],
  http: { method: 'get', path: '/analytics/user-summary', tags },
  input: z.strictObject({ userId: uid, period: summaryPeriodSchema.default('weekly') }),
  output: userSummarySchema,
  async handler({ userId, period }, ctx) {
    await assertSelfOrAdmin(ctx, userId);
    const { window, ...summary } = await computeUserSummary(
      ctx.deps.db,
      ctx.deps.clock,
      userId,
      period,
    );
    ctx.logger.info('User summary computed', {
      subjectId: userId,
      period,
      from: window.previousStart,
      to: window.today,
    });
    return summary;
  },
});
