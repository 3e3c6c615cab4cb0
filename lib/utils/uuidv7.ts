import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 256;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;
let lastMs = -1;
let counter = 0;

function randomBytes10(): Buffer {
  if (poolOffset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + 10);
  poolOffset += 10;
  return slice;
}

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, version 7, a 12-bit counter in rand_a
 * (so ids made in the same ms still sort in creation order), variant 10, 62 random bits.
 */
export function uuidv7(now: number = Date.now()): string {
  const random = randomBytes10();
  if (now > lastMs) {
    lastMs = now;
    counter = random[0] & 0x3ff; // random start, with headroom below 0xfff
  } else {
    counter++;
    if (counter > 0xfff) {
      lastMs++; // borrow the next ms rather than break ordering
      counter = 0;
    }
  }
  const ms = lastMs;
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (random[1] & 0x3f);
  random.copy(bytes, 9, 2, 9);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
