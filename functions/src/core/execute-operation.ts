import { AppError } from './errors';
import type { z } from 'zod';
import type {
  Caller,
  Deps,
  InputSchema,
  Operation,
  OperationContext,
  ResponseStream,
} from './operation';
import type { Logger } from './logger';
import { inputProblem, parseOrThrow } from './validation';

/** One call of an operation, as either door (REST or callable) sees it. */
export interface Invocation {
  rawInput: unknown;
  caller: Caller | null;
  requestId: string;
  logger: Logger;
  deps: Deps;
  requireFreshToken(): Promise<void>;
}

function withCallerDefaults(op: Operation, inv: Invocation): unknown {
  const raw = inv.rawInput;
  if (op.callerDefaults === undefined || inv.caller === null) return raw;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const filled: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  for (const field of op.callerDefaults) filled[field] ??= inv.caller.uid;
  return filled;
}

/** Access check and input validation: nothing is read or written before both pass. */
async function prepare(
  op: Operation,
  inv: Invocation,
): Promise<{ input: z.output<InputSchema>; ctx: OperationContext }> {
  if (op.access !== 'public' && inv.caller === null) throw AppError.unauthenticated();
  if (op.access === 'admin') {
    if (inv.caller?.admin !== true) throw AppError.forbidden();
    await inv.requireFreshToken();
  }
  // Structure first (iteratively): zod and the services recurse into what they are given.
  const problem = inputProblem(inv.rawInput);
  if (problem !== null) throw AppError.validation([problem]);
  const input = parseOrThrow(op.input, withCallerDefaults(op, inv));
  const ctx: OperationContext = {
    caller: inv.caller,
    requestId: inv.requestId,
    logger: inv.logger,
    deps: inv.deps,
    requireFreshToken: () => inv.requireFreshToken(),
  };
  return { input, ctx };
}

/**
 * The single path every operation call takes, whichever door it came through: access check,
 * input validation (nothing is read or written before the input is valid), handler, and an output
 * check so that a handler can never leak fields its declared output does not have.
 */
export async function executeOperation(op: Operation, inv: Invocation): Promise<unknown> {
  const { input, ctx } = await prepare(op, inv);
  const output = await op.handler(input, ctx);
  return op.output.parse(output);
}

/**
 * The REST door of an operation that streams its answer (`httpStream`): the same access check and
 * input validation as {@link executeOperation}, then the body is written to `out`.
 */
export async function streamOperation(
  op: Operation,
  inv: Invocation,
  out: ResponseStream,
): Promise<void> {
  if (op.httpStream === undefined) throw new Error(`${op.name} has no streamed REST answer`);
  const { input, ctx } = await prepare(op, inv);
  await op.httpStream(input, ctx, out);
}
