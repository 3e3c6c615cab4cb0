import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 256;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;
let lastMs = -1;
let counter = 0;

/** Offset in `pool` of 10 fresh random bytes (read in place: no slice per id). */
function randomBytes10(): number {
  if (poolOffset + 10 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += 10;
  return at;
}

/** ASCII codes of the two hex digits of each byte value. */
const HEX = Buffer.from(
  Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0')).join(''),
  'latin1',
);

/** Where each of the 16 bytes' two hex digits go in the 36-character form. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

function putHex(out: Buffer, byteIndex: number, byte: number): void {
  const at = AT[byteIndex];
  out[at] = HEX[byte * 2];
  out[at + 1] = HEX[byte * 2 + 1];
}

/**
 * A UUIDv7 (RFC 9562) as its 36 ASCII characters (`xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`),
 * what the `x-event-id` header carries: 48-bit Unix ms timestamp, version 7, a 12-bit
 * counter in rand_a (so ids made in the same ms still sort in creation order), variant 10,
 * 62 random bits. Written straight into one small buffer (no intermediate strings).
 */
export function uuidv7Bytes(now: number = Date.now()): Buffer {
  const r = randomBytes10();
  if (now > lastMs) {
    lastMs = now;
    counter = pool[r] & 0x3ff; // random start, with headroom below 0xfff
  } else {
    counter++;
    if (counter > 0xfff) {
      lastMs++; // borrow the next ms rather than break ordering
      counter = 0;
    }
  }
  const ms = lastMs;
  const out = Buffer.allocUnsafe(36);
  out[8] = out[13] = out[18] = out[23] = 0x2d; // '-'
  const high = Math.floor(ms / 0x100000000);
  putHex(out, 0, (high >>> 8) & 0xff);
  putHex(out, 1, high & 0xff);
  putHex(out, 2, (ms >>> 24) & 0xff);
  putHex(out, 3, (ms >>> 16) & 0xff);
  putHex(out, 4, (ms >>> 8) & 0xff);
  putHex(out, 5, ms & 0xff);
  putHex(out, 6, 0x70 | (counter >> 8));
  putHex(out, 7, counter & 0xff);
  putHex(out, 8, 0x80 | (pool[r + 1] & 0x3f));
  for (let i = 9; i < 16; i++) putHex(out, i, pool[r + i - 7]);
  return out;
}

/** A UUIDv7 (RFC 9562) string; see {@link uuidv7Bytes}. */
export function uuidv7(now: number = Date.now()): string {
  return uuidv7Bytes(now).toString('latin1');
}
