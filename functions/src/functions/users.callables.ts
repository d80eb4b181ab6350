import { callableFor } from '../callable/callable';

const users = () => import('../operations/users.operations');

/** Callable twins of the REST routes under `/api/users/{userId}`; same operations, same rules. */
export const getPreferences = callableFor(() => users().then((m) => m.getPreferencesOp));
export const updatePreferences = callableFor(() => users().then((m) => m.updatePreferencesOp));
export const registerDevice = callableFor(() => users().then((m) => m.registerDeviceOp));
export const unregisterDevice = callableFor(() => users().then((m) => m.unregisterDeviceOp));
