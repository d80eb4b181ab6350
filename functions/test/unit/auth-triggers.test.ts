import { REGION } from '../../src/config/params';
import { onUserCreated, onUserDeleted } from '../../src/functions/auth.triggers';

/**
 * The triggers are built through the SDK's internal `_userWithOptions` (see auth.triggers.ts);
 * this pins the manifest the Firebase CLI deploys from, so an SDK upgrade that changes that
 * internal API fails here.
 */
describe('Auth triggers manifest', () => {
  const project = process.env.GCLOUD_PROJECT;
  beforeAll(() => {
    process.env.GCLOUD_PROJECT = 'demo-taskflow';
  });
  afterAll(() => {
    if (project === undefined) delete process.env.GCLOUD_PROJECT;
    else process.env.GCLOUD_PROJECT = project;
  });

  it.each([
    ['onUserCreated', onUserCreated, 'providers/firebase.auth/eventTypes/user.create'],
    ['onUserDeleted', onUserDeleted, 'providers/firebase.auth/eventTypes/user.delete'],
  ])('%s: 1st gen, REGION param, retried', (_name, fn, eventType) => {
    const endpoint = fn.__endpoint;
    expect(endpoint.platform).toBe('gcfv1');
    // The same param as the 2nd-gen functions, resolved at deploy time.
    expect(endpoint.region).toEqual([REGION]);
    expect(endpoint.eventTrigger).toEqual({
      eventType,
      eventFilters: { resource: 'projects/demo-taskflow' },
      retry: true,
    });
  });

  it('gives the deletion the longest 1st-gen timeout', () => {
    expect(onUserDeleted.__endpoint.timeoutSeconds).toBe(540);
  });
});
