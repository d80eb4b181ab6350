import type { HttpBinding } from '../../src/core/operation';
import { operations } from '../../src/operations/registry';

type Route = Pick<HttpBinding, 'method' | 'path'> & { name: string };

/** An Express-style path as a regex: `:name` matches one non-empty segment. */
function pattern(path: string): RegExp {
  const escaped = path
    .split(/(:[A-Za-z0-9_]+)/)
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${escaped}/?$`);
}

/**
 * Routes that can never answer because an earlier route of the same method matches their path
 * (Express tries routes in registration order): `[earlier, shadowed]` operation names.
 */
function shadowedRoutes(routes: readonly Route[]): [string, string][] {
  const found: [string, string][] = [];
  routes.forEach((later, j) => {
    // A concrete path of the later route; the sentinel stands for any parameter value.
    const concrete = later.path.replace(/:[A-Za-z0-9_]+/g, '__any-id__');
    for (const earlier of routes.slice(0, j)) {
      if (earlier.method === later.method && pattern(earlier.path).test(concrete)) {
        found.push([earlier.name, later.name]);
      }
    }
  });
  return found;
}

const registered: Route[] = operations.map((op) => ({ name: op.name, ...op.http }));

describe('operation registry route order', () => {
  it('has no route shadowed by an earlier one (static paths come first)', () => {
    expect(shadowedRoutes(registered)).toEqual([]);
  });

  it('the checker itself: a parameterised route before a static one is caught', () => {
    const byName = (name: string) => registered.find((r) => r.name === name)!;
    const markOne = byName('markNotification');
    const markAll = byName('markAllNotificationsRead');
    expect(markAll.path).toBe('/notifications/mark-all-read');
    expect(shadowedRoutes([markOne, markAll])).toEqual([
      ['markNotification', 'markAllNotificationsRead'],
    ]);
    expect(shadowedRoutes([markAll, markOne])).toEqual([]);
    // Different methods, or a longer path, are not shadowed.
    expect(shadowedRoutes([byName('getNotification'), byName('getUnreadCount')])).toEqual([]);
    expect(shadowedRoutes([byName('getNotification'), byName('deleteNotifications')])).toEqual([]);
  });
});
