import { createRequire } from 'node:module';
import { CompressionTypes } from 'kafkajs';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { crc32c } from './crc32c.js';
import { RECORD_BATCH_HEADER_BYTES, RecordBatch } from './record-batch.js';

const require = createRequire(import.meta.url);

interface DecodedRecord {
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}
interface DecodedBatch {
  firstOffset: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  lastOffsetDelta: number;
  firstTimestamp: string;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: DecodedRecord[];
}
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => {
  offset: number;
};
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: InstanceType<typeof Decoder>,
) => Promise<DecodedBatch>;
const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');

/** Decodes one sealed batch as kafkajs's Fetch response does, and checks it used every byte. */
async function decode(bytes: Buffer): Promise<DecodedBatch> {
  const decoder = new Decoder(bytes);
  const batch = await decodeBatch(decoder);
  expect(decoder.offset).toBe(bytes.length);
  return batch;
}

/** The same batch as kafkajs's own encoder writes it (timestamps as numbers). */
async function kafkajsBytes(
  records: readonly OutgoingRecord[],
  header: {
    producerId: bigint;
    producerEpoch: number;
    firstSequence: number;
    transactional?: boolean;
    partitionLeaderEpoch?: number;
    compression?: CompressionTypes;
  },
): Promise<Buffer> {
  const timestamps = records.map((r) => r.timestamp);
  const firstTimestamp = Math.min(...timestamps);
  const encoded = await kafkajsRecordBatch({
    ...header,
    firstTimestamp,
    maxTimestamp: Math.max(...timestamps),
    lastOffsetDelta: records.length - 1,
    records: records.map((r, i) =>
      kafkajsRecord({
        offsetDelta: i,
        timestampDelta: r.timestamp - firstTimestamp,
        key: r.key,
        value: r.value,
        headers: r.headers,
      }),
    ),
  });
  return encoded.buffer as Buffer;
}

const T = 1_700_000_000_123;

function record(
  key: string | null,
  value: Buffer | string | null,
  timestamp: number,
  headers: Record<string, Buffer> = {},
): OutgoingRecord {
  const k = key === null ? null : Buffer.from(key);
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  return {
    topic: 't',
    keyValue: key,
    key: k,
    value: v,
    headers,
    timestamp,
    eventId: `e-${timestamp}`,
    size: (k?.length ?? 0) + (v?.length ?? 0),
  };
}

/** Keys and values null and not, headers (non-ASCII, empty), timestamps out of order. */
const RECORDS: readonly OutgoingRecord[] = [
  record('order-1', '{"id":1}', T + 500, {
    'content-type': Buffer.from('application/json'),
    'trace-état-名前': Buffer.from('ünï'),
    empty: Buffer.alloc(0),
  }),
  record(null, 'no key', T, {}),
  record('order-3', null, T + 2_000, { 'x-tombstone': Buffer.from([1]) }),
  record('', Buffer.alloc(300, 0xab), T + 1_000, { empty: Buffer.alloc(0), ключ: Buffer.alloc(0) }),
  record(null, null, T + 10, {}),
];

describe('RecordBatch', () => {
  it('leaves 61 bytes of header room before the records, and refuses an empty batch', async () => {
    const batch = await RecordBatch.encode(RECORDS);
    expect(batch.count).toBe(RECORDS.length);
    expect(RECORD_BATCH_HEADER_BYTES).toBe(61);
    const records = (
      await kafkajsBytes(RECORDS, { producerId: 0n, producerEpoch: 0, firstSequence: 0 })
    ).subarray(61);
    expect(batch.bytes.length).toBe(61 + records.length);
    expect(batch.bytes.subarray(61)).toEqual(records);
    await expect(RecordBatch.encode([])).rejects.toThrow('at least one record');
  });

  it("decodes with kafkajs's decoder to every field it was given", async () => {
    const batch = await RecordBatch.encode(RECORDS);
    const bytes = batch.seal(4_000_000_001n, 7, 1_234);
    const decoded = await decode(bytes);
    expect(decoded).toMatchObject({
      firstOffset: '0',
      partitionLeaderEpoch: -1,
      inTransaction: false,
      lastOffsetDelta: RECORDS.length - 1,
      firstTimestamp: String(T),
      maxTimestamp: String(T + 2_000),
      producerId: '4000000001',
      producerEpoch: 7,
      firstSequence: 1_234,
    });
    expect(decoded.records).toHaveLength(RECORDS.length);
    decoded.records.forEach((r, i) => {
      const given = RECORDS[i];
      expect(r.attributes).toBe(0);
      expect(r.offset).toBe(String(i));
      expect(r.timestamp).toBe(String(given.timestamp));
      expect(r.key).toEqual(given.key);
      expect(r.value).toEqual(given.value);
      expect(r.headers).toEqual(given.headers);
      expect(Object.keys(r.headers)).toEqual(Object.keys(given.headers));
    });
    expect(decoded.records[1].key).toBeNull();
    expect(decoded.records[2].value).toBeNull();
    expect(decoded.records[3].key).toEqual(Buffer.alloc(0));
    expect(decoded.records[0].headers['trace-état-名前']).toEqual(Buffer.from('ünï'));
  });

  it('writes the header fields where the v2 format puts them, and a CRC over 21..end', async () => {
    const batch = await RecordBatch.encode(RECORDS);
    const bytes = batch.seal(42n, 3, 99);
    expect(bytes.readBigInt64BE(0)).toBe(0n);
    expect(bytes.readInt32BE(8)).toBe(bytes.length - 12);
    expect(bytes.readInt32BE(12)).toBe(-1);
    expect(bytes.readInt8(16)).toBe(2);
    expect(bytes.readUInt32BE(17)).toBe(crc32c(bytes.subarray(21)));
    expect(bytes.readUInt32BE(17)).toBe(crc32c(bytes, 21));
    expect(bytes.readInt16BE(21)).toBe(0);
    expect(bytes.readInt32BE(23)).toBe(RECORDS.length - 1);
    expect(bytes.readBigInt64BE(27)).toBe(BigInt(T));
    expect(bytes.readBigInt64BE(35)).toBe(BigInt(T + 2_000));
    expect(bytes.readBigInt64BE(43)).toBe(42n);
    expect(bytes.readInt16BE(51)).toBe(3);
    expect(bytes.readInt32BE(53)).toBe(99);
    expect(bytes.readInt32BE(57)).toBe(RECORDS.length);
  });

  it("is byte for byte kafkajs's own batch for the same records and header", async () => {
    const batch = await RecordBatch.encode(RECORDS);
    const header = { producerId: 42n, producerEpoch: 3, firstSequence: 99 };
    const ours = Buffer.from(
      batch.seal(header.producerId, header.producerEpoch, header.firstSequence),
    );
    const theirs = await kafkajsBytes(RECORDS, header);
    expect(ours.length).toBe(theirs.length);
    // kafkajs writes partition leader epoch 0, Kafka's clients -1; the CRC starts after it.
    expect(theirs.readInt32BE(12)).toBe(0);
    expect(ours.subarray(0, 12)).toEqual(theirs.subarray(0, 12));
    expect(ours.subarray(16)).toEqual(theirs.subarray(16));
    expect(ours).toEqual(await kafkajsBytes(RECORDS, { ...header, partitionLeaderEpoch: -1 }));
  });

  it("matches kafkajs's batch for a non-idempotent producer and for a transactional one", async () => {
    const batch = await RecordBatch.encode(RECORDS);
    const plain = Buffer.from(batch.seal(-1n, -1, -1));
    expect(plain).toEqual(
      await kafkajsBytes(RECORDS, {
        producerId: -1n,
        producerEpoch: -1,
        firstSequence: -1,
        partitionLeaderEpoch: -1,
      }),
    );
    const transactional = Buffer.from(batch.seal(5n, 1, 10, true));
    expect(transactional.readInt16BE(21)).toBe(0x10);
    expect(transactional).toEqual(
      await kafkajsBytes(RECORDS, {
        producerId: 5n,
        producerEpoch: 1,
        firstSequence: 10,
        transactional: true,
        partitionLeaderEpoch: -1,
      }),
    );
    expect((await decode(transactional)).inTransaction).toBe(true);
  });

  it('encodes multi-byte offset deltas and timestamp deltas beyond 2^31 ms as kafkajs does', async () => {
    const month = 31 * 24 * 3600 * 1000;
    const many = Array.from({ length: 300 }, (_, i) =>
      record(`k${i}`, `v${i}`, i === 150 ? T + month : T + ((i * 7919) % 1000) - 500, {
        n: Buffer.from(String(i)),
      }),
    );
    const batch = await RecordBatch.encode(many);
    const ours = batch.seal(1n, 0, 2 ** 31 - 300);
    expect(ours).toEqual(
      await kafkajsBytes(many, {
        producerId: 1n,
        producerEpoch: 0,
        firstSequence: 2 ** 31 - 300,
        partitionLeaderEpoch: -1,
      }),
    );
    const decoded = await decode(ours);
    expect(decoded.firstTimestamp).toBe(String(T - 500));
    expect(decoded.maxTimestamp).toBe(String(T + month));
    expect(decoded.lastOffsetDelta).toBe(299);
    expect(decoded.records.map((r) => r.timestamp)).toEqual(many.map((r) => String(r.timestamp)));
    expect(decoded.records.map((r) => r.offset)).toEqual(many.map((_, i) => String(i)));
  });

  it('compresses the records with gzip, which kafkajs decodes back to the records', async () => {
    const batch = await RecordBatch.encode(RECORDS, CompressionTypes.GZIP);
    const bytes = Buffer.from(batch.seal(8n, 2, 40));
    expect(bytes.readInt16BE(21)).toBe(CompressionTypes.GZIP);
    expect(bytes.readInt32BE(57)).toBe(RECORDS.length);
    expect(bytes.readInt32BE(8)).toBe(bytes.length - 12);
    expect(bytes.readUInt32BE(17)).toBe(crc32c(bytes, 21));
    // The gzip member starts right after the record count.
    expect([bytes[61], bytes[62]]).toEqual([0x1f, 0x8b]);
    const uncompressed = await RecordBatch.encode(RECORDS);
    expect(bytes.length).toBeLessThan(uncompressed.bytes.length);

    const decoded = await decode(bytes);
    expect(decoded).toMatchObject({
      lastOffsetDelta: RECORDS.length - 1,
      firstTimestamp: String(T),
      maxTimestamp: String(T + 2_000),
      producerId: '8',
      producerEpoch: 2,
      firstSequence: 40,
    });
    expect(
      decoded.records.map(({ offset, timestamp, key, value, headers }) => ({
        offset,
        timestamp,
        key,
        value,
        headers,
      })),
    ).toEqual(
      RECORDS.map((r, i) => ({
        offset: String(i),
        timestamp: String(r.timestamp),
        key: r.key,
        value: r.value,
        headers: r.headers,
      })),
    );
    expect(bytes).toEqual(
      await kafkajsBytes(RECORDS, {
        producerId: 8n,
        producerEpoch: 2,
        firstSequence: 40,
        partitionLeaderEpoch: -1,
        compression: CompressionTypes.GZIP,
      }),
    );
  });

  it('refuses a codec kafkajs has no implementation for', async () => {
    await expect(RecordBatch.encode(RECORDS, 7 as CompressionTypes)).rejects.toThrow(
      'no kafkajs codec registered for compression type 7',
    );
  });

  it('changes only the header and the CRC when resealed with another sequence', async () => {
    for (const codec of [CompressionTypes.None, CompressionTypes.GZIP]) {
      const batch = await RecordBatch.encode(RECORDS, codec);
      const first = Buffer.from(batch.seal(42n, 3, 0));
      const again = Buffer.from(batch.seal(42n, 3, 1_000));
      expect(again.length).toBe(first.length);
      const differing = [...first.keys()].filter((i) => first[i] !== again[i]);
      expect(differing.length).toBeGreaterThan(0);
      expect(differing.every((i) => (i >= 17 && i < 21) || (i >= 53 && i < 57))).toBe(true);
      expect(again.readInt32BE(53)).toBe(1_000);
      expect(again.readUInt32BE(17)).toBe(crc32c(again, 21));
      expect(again.subarray(61)).toEqual(first.subarray(61));
      expect((await decode(again)).firstSequence).toBe(1_000);
      // Sealing returns the batch's own buffer: what the next seal overwrites.
      expect(batch.seal(42n, 3, 0)).toBe(batch.bytes);
      expect(batch.bytes).toEqual(first);
    }
  });
});
