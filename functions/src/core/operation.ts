import type { z } from 'zod';
import type { Firestore } from 'firebase-admin/firestore';
import type { Clock } from './clock';
import { AppError } from './errors';
import type { Logger } from './logger';

/**
 * An operation is declared once — name, zod input and output, who may call it, handler — and
 * the REST router, the callable adapter and the OpenAPI document are all derived from that one
 * declaration (`src/http/operation-router.ts`, `src/callable/callable.ts`, `src/http/openapi.ts`).
 */

/** Who may call an operation. `user` = any signed-in user; `admin` = custom claim `admin: true`. */
export type Access = 'public' | 'user' | 'admin';

export interface Caller {
  uid: string;
  admin: boolean;
  email?: string | undefined;
  /** The token's `email_verified` claim: Firebase Auth has verified `email`. */
  emailVerified?: boolean | undefined;
}

/** What every handler receives besides its input: the caller, request-scoped logging, deps. */
export interface OperationContext {
  /** `null` only for `public` operations called without a token. */
  caller: Caller | null;
  requestId: string;
  logger: Logger;
  deps: Deps;
  /**
   * Verifies the caller's token again, this time checking revocation (one extra Auth call).
   * Sensitive work calls it; `admin` operations have it done before the handler runs.
   */
  requireFreshToken(): Promise<void>;
}

/**
 * The dependencies a handler may use; built once per instance by the composition root. The ports
 * the domain owns (push, email, notification settings, sign-in accounts) are added to this
 * interface by `src/domain/deps.ts` (declaration merging), so that core/ never imports domain/.
 */
export interface Deps {
  db: Firestore;
  clock: Clock;
  /** `ANALYTICS_RETENTION_DAYS`: days activity events are kept (TTL); absent → the default, 400. */
  analyticsRetentionDays?: number;
  /** `INVITATION_TTL_DAYS`: days an invitation stays open; absent → the default, 14. */
  invitationTtlDays?: number;
}

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface HttpBinding {
  method: HttpMethod;
  /** Express-style path below `/api`, e.g. `/users/:userId/preferences`. */
  path: string;
  /** Status of a successful answer (default 200). */
  successStatus?: number;
  tags?: string[];
}

/** A REST response header whose value comes from the operation's validated output. */
export interface ResponseHeader<T> {
  /** For the OpenAPI document. */
  description: string;
  value(output: T): string | number;
}

/**
 * Where a streamed REST answer goes (the REST door adapts Express's response to it). Headers are
 * held until the first `write`, so an error thrown before any body was written still becomes a
 * normal JSON error response.
 */
export interface ResponseStream {
  setHeader(name: string, value: string): void;
  /** Sends one piece of the body; resolves when the connection can take more (backpressure). */
  write(chunk: string): Promise<void>;
}

// zod's object type with any shape; inputs are always objects so the REST door can assemble them
// from path, query and body, and the OpenAPI door can split them back.
export type InputSchema = z.ZodObject;

export interface Operation<I extends InputSchema = InputSchema, O extends z.ZodType = z.ZodType> {
  /** Callable export name and OpenAPI operationId. */
  name: string;
  summary: string;
  description?: string;
  access: Access;
  http: HttpBinding;
  input: I;
  output: O;
  /**
   * Fields named otherwise on REST, where the public REST contract defines them in snake_case
   * ({ unreadOnly: 'unread_only' }): top-level input and output fields. The declaration (and the
   * callable) use camelCase; see `core/rest-names.ts`.
   */
  restNames?: Readonly<Record<string, string>>;
  /**
   * The operation sends push or email itself (rather than through a trigger): its callable is
   * deployed with the notification secrets bound (SendGrid key, unsubscribe signing key).
   */
  sendsNotifications?: boolean;
  /**
   * Input fields that default to the caller's uid when omitted (`userId` for "my" data), so the
   * Flutter app can call `getPreferences({})`. REST always supplies them from the path.
   */
  callerDefaults?: readonly string[];
  /**
   * Headers the REST door adds to a successful answer (name → header), computed from the output
   * after its check. They are derived from the output rather than set by the handler so that the
   * callable door, which has no headers, returns the same values in its result.
   */
  httpHeaders?: Readonly<Record<string, ResponseHeader<z.output<O>>>>;
  handler(input: z.output<I>, ctx: OperationContext): Promise<z.input<O>>;
  /**
   * REST only: writes the answer piece by piece instead of returning it, for a body too large to
   * hold in memory (the user data export). It runs after the same access check and input
   * validation; the body must be `output` as JSON. The callable door still uses `handler`.
   */
  httpStream?(input: z.output<I>, ctx: OperationContext, out: ResponseStream): Promise<void>;
}

/** Declares an operation; the identity function that gives TypeScript the generic types. */
export function defineOperation<I extends InputSchema, O extends z.ZodType>(
  op: Operation<I, O>,
): Operation<I, O> {
  return op;
}

/** The caller, or 401 if there is none. */
export function requireCaller(ctx: OperationContext): Caller {
  if (ctx.caller === null) throw AppError.unauthenticated();
  return ctx.caller;
}

/**
 * A user may act on their own data; an admin may act on anyone's, and then the token is checked
 * for revocation too (other users' data is admin-only, and admin work is sensitive).
 */
export async function assertSelfOrAdmin(ctx: OperationContext, userId: string): Promise<Caller> {
  const caller = requireCaller(ctx);
  if (caller.uid === userId) return caller;
  if (!caller.admin) throw AppError.forbidden();
  await ctx.requireFreshToken();
  return caller;
}
