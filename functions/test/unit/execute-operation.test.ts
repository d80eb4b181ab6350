import { z } from 'zod';
import { FixedClock } from '../../src/core/clock';
import { executeOperation, type Invocation } from '../../src/core/execute-operation';
import { silentLogger } from '../../src/core/logger';
import { defineOperation, type Deps, type Operation } from '../../src/core/operation';

// The handler below never touches Firestore; the executor must not either.
const deps = {
  db: null as unknown as Deps['db'],
  clock: new FixedClock('2026-01-01T00:00:00Z'),
} as unknown as Deps;

function invocation(over: Partial<Invocation>): Invocation {
  return {
    rawInput: {},
    caller: { uid: 'u1', admin: false },
    requestId: 'r',
    logger: silentLogger,
    deps,
    requireFreshToken: () => Promise.resolve(),
    ...over,
  };
}

const echo = (access: 'public' | 'user' | 'admin', calls: unknown[] = []) =>
  defineOperation({
    name: 'echo',
    summary: 'echo',
    access,
    http: { method: 'post', path: '/echo' },
    input: z.strictObject({ n: z.number() }),
    output: z.object({ n: z.number() }),
    handler: (input) => {
      calls.push(input);
      return Promise.resolve({ ...input, leaked: 'secret' } as never);
    },
  }) as unknown as Operation;

describe('executeOperation', () => {
  it('validates input before the handler and strips undeclared output fields', async () => {
    const calls: unknown[] = [];
    await expect(
      executeOperation(echo('user', calls), invocation({ rawInput: { n: 'x' } })),
    ).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    expect(calls).toEqual([]);
    await expect(
      executeOperation(echo('user', calls), invocation({ rawInput: { n: 2 } })),
    ).resolves.toEqual({ n: 2 });
  });

  it('requires a caller unless public', async () => {
    await expect(
      executeOperation(echo('user'), invocation({ caller: null })),
    ).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(
      executeOperation(echo('public'), invocation({ caller: null, rawInput: { n: 1 } })),
    ).resolves.toEqual({ n: 1 });
  });

  it('requires the admin claim and a fresh (revocation-checked) token for admin operations', async () => {
    await expect(
      executeOperation(echo('admin'), invocation({ rawInput: { n: 1 } })),
    ).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    const fresh = jest.fn(() => Promise.resolve());
    await executeOperation(
      echo('admin'),
      invocation({
        caller: { uid: 'a', admin: true },
        rawInput: { n: 1 },
        requireFreshToken: fresh,
      }),
    );
    expect(fresh).toHaveBeenCalledTimes(1);
  });
});
