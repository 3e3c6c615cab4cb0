/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the record batch v2 checksum. */
const POLY = 0x82f63b78;

/** Slicing-by-8 tables: T[k][b] is the CRC of byte b followed by k zero bytes. */
const T = Array.from({ length: 8 }, () => new Int32Array(256));
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[0][b] = c;
}
for (let b = 0; b < 256; b++) {
  for (let k = 1; k < 8; k++) T[k][b] = T[0][T[k - 1][b] & 0xff] ^ (T[k - 1][b] >>> 8);
}
const [T0, T1, T2, T3, T4, T5, T6, T7] = T;

/**
 * The CRC-32C of `buf[start, end)`, as Kafka's `Crc32C` computes it (an unsigned 32-bit
 * number). Eight bytes per step; about 3× faster than a byte-wise table.
 */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  let i = start;
  for (const stop = end - 8; i <= stop; i += 8) {
    const lo = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    crc =
      T7[lo & 0xff] ^
      T6[(lo >>> 8) & 0xff] ^
      T5[(lo >>> 16) & 0xff] ^
      T4[lo >>> 24] ^
      T3[buf[i + 4]] ^
      T2[buf[i + 5]] ^
      T1[buf[i + 6]] ^
      T0[buf[i + 7]];
  }
  for (; i < end; i++) crc = T0[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
