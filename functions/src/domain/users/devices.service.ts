import { createHash } from 'node:crypto';
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Clock } from '../../core/clock';
import type { Platform } from './devices.schema';
import { USERS, DEVICES } from '../../storage/collections';
import { deviceDocs, tokenOwnerDocs } from '../../storage/refs';

export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface RegisterDeviceInput {
  token: string;
  platform: Platform;
  deviceId?: string | undefined;
}

/**
 * Registers (or refreshes) an FCM token for one of the user's devices and returns the device id.
 *
 * Idempotent: registering the same token again only refreshes `lastSeenAt`. A token has one owner:
 * when it moves to another user or device (a shared phone, a reinstall) the old device entry is
 * removed in the same transaction, so nobody gets another person's notifications. When a device's
 * token rotates, the index entry of its old token is dropped too.
 */
export async function registerDevice(
  db: Firestore,
  clock: Clock,
  userId: string,
  input: RegisterDeviceInput,
): Promise<{ deviceId: string }> {
  const key = tokenKey(input.token);
  const deviceId = input.deviceId ?? key.slice(0, 40);
  const now = Timestamp.fromDate(clock.now());
  const indexRef = tokenOwnerDocs(db).doc(key);
  const deviceRef = db.collection(USERS).doc(userId).collection(DEVICES).doc(deviceId);

  await db.runTransaction(async (tx) => {
    const [indexSnap, deviceSnap] = await Promise.all([tx.get(indexRef), tx.get(deviceRef)]);
    const owner = indexSnap.data();
    if (owner !== undefined && (owner.uid !== userId || owner.deviceId !== deviceId)) {
      tx.delete(db.collection(USERS).doc(owner.uid).collection(DEVICES).doc(owner.deviceId));
    }
    const previousToken: unknown = deviceSnap.get('token');
    const createdAt: unknown = deviceSnap.get('createdAt');
    if (typeof previousToken === 'string' && previousToken !== input.token) {
      tx.delete(tokenOwnerDocs(db).doc(tokenKey(previousToken)));
    }
    tx.set(deviceRef, {
      token: input.token,
      platform: input.platform,
      lastSeenAt: now,
      // The token's owner was settled in this transaction: the engine need not check the index.
      indexedAt: now,
      createdAt: deviceSnap.exists ? (createdAt ?? now) : now,
    });
    tx.set(indexRef, { uid: userId, deviceId, updatedAt: now });
  });
  return { deviceId };
}

export interface UnregisterDeviceInput {
  token?: string | undefined;
  deviceId?: string | undefined;
}

/**
 * Removes one of the user's devices, found by token or by device id. Idempotent: removing a
 * device that is not there answers `removed: false`. Never touches another user's device.
 */
export async function unregisterDevice(
  db: Firestore,
  userId: string,
  input: UnregisterDeviceInput,
): Promise<{ removed: boolean }> {
  const devices = deviceDocs(db, userId);
  return db.runTransaction(async (tx) => {
    let deviceId = input.deviceId;
    const token = input.token;
    if (deviceId === undefined && token !== undefined) {
      const owner = (await tx.get(tokenOwnerDocs(db).doc(tokenKey(token)))).data();
      if (owner?.uid !== userId) return { removed: false };
      deviceId = owner.deviceId;
    }
    if (deviceId === undefined) return { removed: false };
    const deviceRef = devices.doc(deviceId);
    const device = (await tx.get(deviceRef)).data();
    if (device === undefined) return { removed: false };
    const indexRef = tokenOwnerDocs(db).doc(tokenKey(token ?? device.token));
    const owner = (await tx.get(indexRef)).data();
    if (owner?.uid === userId && owner.deviceId === deviceId) tx.delete(indexRef);
    tx.delete(deviceRef);
    return { removed: true };
  });
}
