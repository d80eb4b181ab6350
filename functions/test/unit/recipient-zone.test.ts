import type { DocumentSnapshot } from 'firebase-admin/firestore';
import { recipientFrom } from '../../src/domain/notifications/delivery.service';

/** A profile written around the API can hold any zone string: the sweeps must not throw on it. */
const profile = (timezone: unknown) =>
  ({
    id: 'u1',
    exists: true,
    data: () => ({ email: 'u1@x.test', timezone }),
  }) as unknown as DocumentSnapshot;

it('an unknown profile time zone is read as UTC; a known one is kept', () => {
  expect(recipientFrom(profile('Foo/Bar')).timezone).toBe('UTC');
  expect(recipientFrom(profile('Europe/Berlin')).timezone).toBe('Europe/Berlin');
});
