import { createRequire } from 'node:module';
import { sizeOfVarint, writeVarint } from './varint.js';

const require = createRequire(import.meta.url);

interface KafkaJsEncoder {
  readonly buffer: Buffer;
  writeVarInt(value: number): KafkaJsEncoder;
  writeVarLong(value: number | bigint): KafkaJsEncoder;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as {
  new (): KafkaJsEncoder;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: number | bigint): number;
};
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => {
  readVarInt(): number;
  readVarLong(): { toString(): string };
};

/** What `writeVarint` puts in a buffer for `n`, and the offset it returns. */
function ours(n: number): Buffer {
  const buf = Buffer.alloc(16, 0xee);
  const end = writeVarint(buf, n, 0);
  expect(end).toBe(sizeOfVarint(n));
  return buf.subarray(0, end);
}

/** Deterministic integers in [min, max] (mulberry32 scaled). */
function randoms(count: number, min: number, max: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    out.push(min + Math.floor(u * (max - min + 1)));
  }
  return out;
}

const INT32 = [
  0,
  1,
  -1,
  2,
  -2,
  63,
  64,
  -64,
  -65,
  127,
  128,
  -128,
  8191,
  8192,
  -8193,
  2 ** 20,
  -(2 ** 20) - 1,
  2 ** 27,
  2 ** 31 - 1,
  -(2 ** 31),
  ...randoms(500, -(2 ** 31), 2 ** 31 - 1, 1),
  ...randoms(200, -300, 300, 2),
];

const INT64 = [
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  -(2 ** 32),
  2 ** 35 - 1,
  -(2 ** 35),
  2 ** 41 + 17,
  2 ** 49,
  -(2 ** 49) - 1,
  2 ** 50,
  -(2 ** 50),
  2 ** 52 - 1,
  -(2 ** 52 - 1),
  // A month of milliseconds: a record's timestamp delta can be that far apart.
  31 * 24 * 3600 * 1000,
  ...randoms(300, -(2 ** 50), 2 ** 50, 3),
];

describe('varint', () => {
  it('writes the zig-zag bytes of the protocol for small values', () => {
    expect([...ours(0)]).toEqual([0x00]);
    expect([...ours(-1)]).toEqual([0x01]);
    expect([...ours(1)]).toEqual([0x02]);
    expect([...ours(63)]).toEqual([0x7e]);
    expect([...ours(-64)]).toEqual([0x7f]);
    expect([...ours(64)]).toEqual([0x80, 0x01]);
    expect([...ours(-65)]).toEqual([0x81, 0x01]);
    expect([...ours(300)]).toEqual([0xd8, 0x04]);
  });

  it("writes the same bytes as kafkajs's writeVarInt for int32 values", () => {
    for (const n of INT32) {
      expect([n, ours(n)]).toEqual([n, new Encoder().writeVarInt(n).buffer]);
    }
    expect(ours(2 ** 31 - 1)).toHaveLength(5);
    expect(ours(-(2 ** 31))).toHaveLength(5);
  });

  it("writes the same bytes as kafkajs's writeVarLong beyond int32, up to ±2^52", () => {
    for (const n of INT64) {
      expect([n, ours(n)]).toEqual([n, new Encoder().writeVarLong(n).buffer]);
      expect([n, ours(n)]).toEqual([n, new Encoder().writeVarLong(BigInt(n)).buffer]);
    }
    expect(ours(2 ** 50)).toHaveLength(8);
  });

  it('sizes each value as the bytes it writes, as kafkajs sizes them', () => {
    for (const n of INT32) {
      expect([n, sizeOfVarint(n)]).toEqual([n, Encoder.sizeOfVarInt(n)]);
    }
    for (const n of [...INT32, ...INT64]) {
      expect([n, sizeOfVarint(n)]).toEqual([n, Encoder.sizeOfVarLong(n)]);
    }
  });

  it("reads back through kafkajs's decoder", () => {
    for (const n of INT32) {
      expect(new Decoder(ours(n)).readVarInt()).toBe(n);
    }
    for (const n of [...INT32, ...INT64]) {
      expect(new Decoder(ours(n)).readVarLong().toString()).toBe(String(n));
    }
  });

  it('writes at the offset, returns the offset after it, and leaves other bytes alone', () => {
    const buf = Buffer.alloc(24, 0xee);
    let o = writeVarint(buf, 5, 3);
    expect(o).toBe(4);
    o = writeVarint(buf, -(2 ** 31), o);
    expect(o).toBe(9);
    o = writeVarint(buf, 2 ** 50, o);
    expect(o).toBe(17);
    expect(buf.subarray(0, 3)).toEqual(Buffer.alloc(3, 0xee));
    expect(buf.subarray(17)).toEqual(Buffer.alloc(7, 0xee));
    const expected = new Encoder()
      .writeVarInt(5)
      .writeVarInt(-(2 ** 31))
      .writeVarLong(2 ** 50).buffer;
    expect(buf.subarray(3, 17)).toEqual(expected);
  });

  it('writes into a plain Uint8Array too', () => {
    const arr = new Uint8Array(6);
    expect(writeVarint(arr, -(2 ** 31), 1)).toBe(6);
    expect([...arr]).toEqual([0, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  });
});
