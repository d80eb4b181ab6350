import { Timestamp, type DocumentReference, type Firestore } from 'firebase-admin/firestore';
import { tokenKey } from '../src/domain/users/devices.service';
import type { Platform } from '../src/domain/users/devices.schema';
import { batchedWriter, type SeedWriter } from './support';
import { USERS, DEVICES, DEVICE_TOKENS } from '../src/storage/collections';

/**
 * Deterministic test population for the fan-out benchmark: `users/{uid}` profiles without
 * `notificationPreferences` (so the defaults apply: inbox, push and email all on, no quiet hours)
 * and with the suppression state the sign-up trigger records (address not suppressed),
 * 1–3 devices each under `users/{uid}/devices/{deviceId}`, and the token index
 * `deviceTokens/{sha256(token)}` → {uid, deviceId} that `registerDevice` maintains. Written with
 * batched writes, not through the device API: seeding is not what is measured.
 */

/** mulberry32: a small seeded PRNG, so every run builds the same users, devices and tokens. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TIMEZONES = [
  'UTC',
  'Europe/London',
  'Europe/Berlin',
  'America/New_York',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Australia/Sydney',
] as const;
const PLATFORMS: readonly Platform[] = ['android', 'ios', 'web'];
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Length of a seeded token: FCM registration tokens are ~150–180 characters today. */
const TOKEN_LENGTH = 163;
/** A batched write holds at most 500 operations. */

export interface SeedResult {
  userIds: string[];
  devices: number;
  /** Users with 1, 2 and 3 devices. */
  devicesPerUser: Record<1 | 2 | 3, number>;
  writes: number;
  ms: number;
}

function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function token(random: () => number): string {
  let out = '';
  for (let i = 0; i < TOKEN_LENGTH; i++)
    out += TOKEN_ALPHABET.charAt(Math.floor(random() * TOKEN_ALPHABET.length));
  return out;
}

/**
 * Writes `users` users (ids `{prefix}{n}`, zero-padded) with their devices and token index,
 * `concurrency` batches in flight, or through `writer` when given (e.g. straight into an embedded
 * server's state). Same `seed` → same data.
 */
export async function seedUsers(
  db: Firestore,
  options: {
    users: number;
    prefix: string;
    seed: number;
    at: Date;
    concurrency?: number;
    writer?: SeedWriter;
  },
): Promise<SeedResult> {
  const started = performance.now();
  const random = prng(options.seed);
  const at = Timestamp.fromDate(options.at);
  const width = String(options.users).length;
  const userIds: string[] = [];
  const devicesPerUser: Record<1 | 2 | 3, number> = { 1: 0, 2: 0, 3: 0 };
  let devices = 0;
  let writes = 0;

  const writer = options.writer ?? batchedWriter(db, options.concurrency);

  for (let n = 0; n < options.users; n++) {
    const uid = `${options.prefix}${String(n).padStart(width, '0')}`;
    userIds.push(uid);
    const count = (1 + Math.floor(random() * 3)) as 1 | 2 | 3;
    devicesPerUser[count] += 1;
    // One user's documents go in one batch, so no user is ever half-seeded.
    const group: [DocumentReference, Record<string, unknown>][] = [];
    group.push([
      db.collection(USERS).doc(uid),
      {
        name: `Bench User ${n}`,
        email: `${uid}@bench.taskflow.test`,
        timezone: pick(TIMEZONES, random),
        locale: 'en',
        photoUrl: null,
        createdAt: at,
        updatedAt: at,
        // As the sign-up trigger leaves a new account: its address checked, not suppressed.
        suppressionCheck: { email: `${uid}@bench.taskflow.test`, suppressed: null },
      },
    ]);
    for (let d = 0; d < count; d++) {
      const t = token(random);
      const key = tokenKey(t);
      const deviceId = key.slice(0, 40);
      group.push([
        db.collection(USERS).doc(uid).collection(DEVICES).doc(deviceId),
        {
          token: t,
          platform: pick(PLATFORMS, random),
          lastSeenAt: at,
          // As registerDevice writes it: the token index names this device.
          indexedAt: at,
          createdAt: at,
        },
      ]);
      group.push([db.collection(DEVICE_TOKENS).doc(key), { uid, deviceId, updatedAt: at }]);
    }
    await writer.set(group);
    writes += group.length;
    devices += count;
  }
  await writer.close();
  return { userIds, devices, devicesPerUser, writes, ms: performance.now() - started };
}
