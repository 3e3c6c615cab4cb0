import type { OutgoingRecord } from '../record/outgoing-record.js';
import { CompressionTypes } from 'kafkajs';
import { RecordBatch } from './record-batch.js';
import { readRecordBatch } from './record-batch-reader.js';
import { readVarint, sizeOfVarint, writeVarint } from './varint.js';

function record(i: number, parts: Partial<OutgoingRecord> = {}): OutgoingRecord {
  return {
    topic: 't',
    keyValue: `k${i}`,
    key: Buffer.from(`k${i}`),
    value: Buffer.from(JSON.stringify({ i, text: 'é'.repeat(i * 40) })),
    headers: { 'x-event-id': Buffer.from(`id-${i}`), trace: Buffer.from('') },
    timestamp: 1_700_000_000_000 + i,
    eventId: `id-${i}`,
    size: 0,
    ...parts,
  };
}

describe('readVarint', () => {
  it('reads back what writeVarint wrote, negative and past 2^31', () => {
    const buf = new Uint8Array(16);
    for (const n of [0, -1, 1, 63, -64, 64, 300, -300, 2 ** 31, -(2 ** 40), 2 ** 50]) {
      const end = writeVarint(buf, n, 3);
      expect(readVarint(buf, 3)).toEqual([n, 3 + sizeOfVarint(n)]);
      expect(end).toBe(3 + sizeOfVarint(n));
    }
  });

  it('refuses a varint cut short', () => {
    expect(() => readVarint(Uint8Array.of(0x80, 0x80), 0)).toThrow(RangeError);
  });
});

describe('readRecordBatch', () => {
  it.each([
    ['none', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP],
  ] as const)('reads every part of every record (%s)', async (codec, type) => {
    const records = [
      record(0),
      record(1, { key: null, keyValue: null }),
      record(2, { value: null, headers: {} }),
      record(3),
    ];
    const batch = await RecordBatch.encode(records, type);
    const read = await readRecordBatch(batch, codec);
    expect(read.map((r) => r.offsetDelta)).toEqual([0, 1, 2, 3]);
    expect(read.map((r) => r.timestampDelta)).toEqual([0, 1, 2, 3]);
    expect(read.map((r) => r.key?.toString() ?? null)).toEqual(['k0', null, 'k2', 'k3']);
    expect(read.map((r) => r.value)).toEqual(records.map((r) => r.value));
    expect(read.map((r) => r.headers)).toEqual(records.map((r) => r.headers));
  });
});
