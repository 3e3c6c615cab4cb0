/**
 * Kafka's zig-zag variable-length integers (protobuf style), as record batch v2 writes
 * lengths, deltas and counts. Plain numbers: exact for any |n| < 2^52, which covers every
 * length, offset delta and timestamp delta a record can have.
 */

/** Zig-zag encoding: 0, -1, 1, -2, … → 0, 1, 2, 3, … */
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** Bytes `writeVarint(n)` takes. */
export function sizeOfVarint(n: number): number {
  let z = zigzag(n);
  let size = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    size++;
  }
  return size;
}

/** Writes `n` at `offset`; returns the offset after it. */
export function writeVarint(buf: Uint8Array, n: number, offset: number): number {
  let z = zigzag(n);
  while (z >= 0x80) {
    buf[offset++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[offset++] = z;
  return offset;
}

/** Reads the varint at `offset`: its value and the offset after it. */
export function readVarint(buf: Uint8Array, offset: number): [value: number, next: number] {
  let z = 0;
  let scale = 1;
  for (;;) {
    if (offset >= buf.length) throw new RangeError('varint runs past the end of the buffer');
    const byte = buf[offset++];
    z += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    scale *= 0x80;
  }
  return [z % 2 === 0 ? z / 2 : -(z + 1) / 2, offset];
}
