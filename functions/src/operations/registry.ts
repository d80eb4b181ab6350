import type { Operation } from '../core/operation';
import {
  getPreferencesOp,
  registerDeviceOp,
  unregisterDeviceOp,
  updatePreferencesOp,
} from './users.operations';

/** Every operation with a REST route (and an OpenAPI entry). Order is route order. */
export const operations: readonly Operation[] = [
  getPreferencesOp,
  updatePreferencesOp,
  registerDeviceOp,
  unregisterDeviceOp,
];
