import { createRequire } from 'node:module';
import { crc32c } from './crc32c.js';

const require = createRequire(import.meta.url);
/** kafkajs's byte-wise table implementation, the reference. */
const reference = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (
  buf: Buffer,
) => number;

/** Deterministic bytes (mulberry32), so a failing length reproduces. */
function bytes(length: number, seed: number): Buffer {
  const buf = Buffer.alloc(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    buf[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return buf;
}

describe('crc32c', () => {
  it('gives the CRC-32C check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283);
  });

  it('is 0 for no bytes and an unsigned 32-bit number otherwise', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    const values = [0xff, 0x80, 0x00].map((b) => crc32c(Buffer.alloc(64, b)));
    for (const v of values) {
      expect(Number.isInteger(v) && v >= 0 && v <= 0xffffffff).toBe(true);
    }
  });

  it("matches kafkajs's implementation for every length 0..100", () => {
    for (let length = 0; length <= 100; length++) {
      const buf = bytes(length, length + 1);
      expect([length, crc32c(buf)]).toEqual([length, reference(buf)]);
    }
  });

  it("matches kafkajs's implementation on large buffers and on all-ones bytes", () => {
    for (const [length, seed] of [
      [1 << 16, 7],
      [1_000_003, 8],
      [4096 + 5, 9],
    ]) {
      const buf = bytes(length, seed);
      expect(crc32c(buf)).toBe(reference(buf));
    }
    const ones = Buffer.alloc(1027, 0xff);
    expect(crc32c(ones)).toBe(reference(ones));
  });

  it('covers only buf[start, end) when given a range', () => {
    const buf = bytes(300, 42);
    for (const [start, end] of [
      [0, 300],
      [21, 300],
      [1, 9],
      [3, 4],
      [7, 7],
      [13, 250],
      [299, 300],
      [100, 108],
      [100, 115],
    ]) {
      expect([start, end, crc32c(buf, start, end)]).toEqual([
        start,
        end,
        reference(buf.subarray(start, end)),
      ]);
    }
    // `end` defaults to the buffer's end.
    expect(crc32c(buf, 21)).toBe(reference(buf.subarray(21)));
  });

  it('reads a Uint8Array view at a non-zero byte offset', () => {
    const backing = bytes(200, 5);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 3, 150);
    expect(crc32c(view)).toBe(reference(backing.subarray(3, 153)));
  });
});
