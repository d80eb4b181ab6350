import { AppError } from './errors';
import type { Caller, Deps, Operation } from './operation';
import type { Logger } from './logger';
import { parseOrThrow } from './validation';

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

/**
 * The single path every operation call takes, whichever door it came through: access check,
 * input validation (nothing is read or written before the input is valid), handler, and an output
 * check so that a handler can never leak fields its declared output does not have.
 */
export async function executeOperation(op: Operation, inv: Invocation): Promise<unknown> {
  if (op.access !== 'public' && inv.caller === null) throw AppError.unauthenticated();
  if (op.access === 'admin') {
    if (inv.caller?.admin !== true) throw AppError.forbidden();
    await inv.requireFreshToken();
  }
  const input = parseOrThrow(op.input, withCallerDefaults(op, inv));
  const output = await op.handler(input, {
    caller: inv.caller,
    requestId: inv.requestId,
    logger: inv.logger,
    deps: inv.deps,
    requireFreshToken: () => inv.requireFreshToken(),
  });
  return op.output.parse(output);
}
