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

/** ASCII codes of the two hex digits of each byte value. */
const HEX = Buffer.from(
  Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0')).join(''),
  'latin1',
);

/** Where the dashes go in the 36-character form; the hex digits fill the rest. */
const DASHES = [8, 13, 18, 23];

/**
 * A UUIDv7 (RFC 9562) as its 36 ASCII characters (`xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`),
 * what the `x-event-id` header carries: 48-bit Unix ms timestamp, version 7, a 12-bit
 * counter in rand_a (so ids made in the same ms still sort in creation order), variant 10,
 * 62 random bits. Written straight into one small buffer (no intermediate strings).
 */
export function uuidv7Bytes(now: number = Date.now()): Buffer {
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
  const out = Buffer.allocUnsafe(36);
  let o = 0;
  let d = 0;
  const put = (byte: number) => {
    if (o === DASHES[d]) {
      out[o++] = 0x2d; // '-'
      d++;
    }
    out[o++] = HEX[byte * 2];
    out[o++] = HEX[byte * 2 + 1];
  };
  const high = Math.floor(ms / 0x100000000);
  put((high >>> 8) & 0xff);
  put(high & 0xff);
  put((ms >>> 24) & 0xff);
  put((ms >>> 16) & 0xff);
  put((ms >>> 8) & 0xff);
  put(ms & 0xff);
  put(0x70 | (counter >> 8));
  put(counter & 0xff);
  put(0x80 | (random[1] & 0x3f));
  for (let i = 2; i < 9; i++) put(random[i]);
  return out;
}

/** A UUIDv7 (RFC 9562) string; see {@link uuidv7Bytes}. */
export function uuidv7(now: number = Date.now()): string {
  return uuidv7Bytes(now).toString('latin1');
}
