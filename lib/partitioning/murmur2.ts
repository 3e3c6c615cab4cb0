/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), bit for bit: seed
 * 0x9747b28c, m 0x5bd1e995, r 24, little-endian 4-byte blocks, Java's signed tail bytes.
 * Returns a signed 32-bit int, as Java does.
 */
export function murmur2(data: Buffer): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length4 << 2;
  // Java's switch on (length & 3) falls through 3 → 2 → 1; bytes are taken unsigned.
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not `Math.abs`). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Java's client picks for a keyed record. */
export function partitionForKey(key: Buffer, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}
