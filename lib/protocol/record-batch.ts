import kafkajs, { CompressionTypes } from 'kafkajs';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { crc32c } from './crc32c.js';
import { sizeOfVarint, writeVarint } from './varint.js';

/** Bytes of a v2 record batch before its records: base offset … record count. */
export const RECORD_BATCH_HEADER_BYTES = 61;

/** The batch attributes' bit for a transactional batch. */
const TRANSACTIONAL = 0x10;

/** Header names as UTF-8, once each: every record repeats them. */
const headerNames = new Map<string, Buffer>();
const MAX_CACHED_NAMES = 1024;

function nameBytes(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (!bytes) {
    bytes = Buffer.from(name, 'utf8');
    if (headerNames.size < MAX_CACHED_NAMES) headerNames.set(name, bytes);
  }
  return bytes;
}

function sizeOfBytes(bytes: Buffer | null): number {
  return bytes === null ? 1 : sizeOfVarint(bytes.length) + bytes.length;
}

function writeBytes(buf: Buffer, bytes: Buffer | null, offset: number): number {
  if (bytes === null) return writeVarint(buf, -1, offset);
  offset = writeVarint(buf, bytes.length, offset);
  return offset + bytes.copy(buf, offset);
}

/**
 * One partition's records in Kafka's record batch format (v2, magic 2), encoded once: the
 * records (compressed when a codec is set) behind room for the 61-byte header, which
 * {@link RecordBatch.seal} fills for each attempt (producer id, epoch and first sequence
 * may change between attempts; the records do not).
 */
export class RecordBatch {
  private constructor(
    /** Header room followed by the records section. */
    readonly bytes: Buffer,
    readonly count: number,
    /** Bytes of the records section before compression (what the compression rate divides by). */
    readonly recordsBytes: number,
    private readonly codec: CompressionTypes,
    /** The earliest CreateTime of its records (the timestamp deltas count from it). */
    readonly firstTimestamp: number,
    private readonly maxTimestamp: number,
  ) {}

  /**
   * Encodes `records` in order (offset delta = position), compressed with `codec`
   * (which must be registered in kafkajs's `CompressionCodecs`, as the module does).
   */
  static async encode(
    records: readonly OutgoingRecord[],
    codec: CompressionTypes = CompressionTypes.None,
  ): Promise<RecordBatch> {
    const count = records.length;
    if (count === 0) throw new Error('a record batch needs at least one record');
    let first = records[0].timestamp;
    let max = first;
    for (let i = 1; i < count; i++) {
      const t = records[i].timestamp;
      if (t < first) first = t;
      if (t > max) max = t;
    }
    const bodies = new Array<number>(count);
    const headerCounts = new Array<number>(count);
    let size = 0;
    for (let i = 0; i < count; i++) {
      const r = records[i];
      let body =
        1 + // attributes
        sizeOfVarint(r.timestamp - first) +
        sizeOfVarint(i) +
        sizeOfBytes(r.key) +
        sizeOfBytes(r.value);
      let headers = 0;
      for (const name in r.headers) {
        const key = nameBytes(name);
        const value = r.headers[name];
        body += sizeOfVarint(key.length) + key.length + sizeOfBytes(value);
        headers++;
      }
      body += sizeOfVarint(headers);
      bodies[i] = body;
      headerCounts[i] = headers;
      size += sizeOfVarint(body) + body;
    }
    const compressed = codec !== CompressionTypes.None;
    const start = compressed ? 0 : RECORD_BATCH_HEADER_BYTES;
    const buf = Buffer.allocUnsafe(start + size);
    let o = start;
    for (let i = 0; i < count; i++) {
      const r = records[i];
      o = writeVarint(buf, bodies[i], o);
      buf[o++] = 0; // record attributes: none
      o = writeVarint(buf, r.timestamp - first, o);
      o = writeVarint(buf, i, o);
      o = writeBytes(buf, r.key, o);
      o = writeBytes(buf, r.value, o);
      o = writeVarint(buf, headerCounts[i], o);
      for (const name in r.headers) {
        o = writeBytes(buf, nameBytes(name), o);
        o = writeBytes(buf, r.headers[name], o);
      }
    }
    if (!compressed) return new RecordBatch(buf, count, size, codec, first, max);
    const codecImpl = (kafkajs.CompressionCodecs[codec] as (() => Codec) | undefined)?.();
    if (!codecImpl) throw new Error(`no kafkajs codec registered for compression type ${codec}`);
    const section = await codecImpl.compress({ buffer: buf });
    const bytes = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES + section.length);
    section.copy(bytes, RECORD_BATCH_HEADER_BYTES);
    return new RecordBatch(bytes, count, size, codec, first, max);
  }

  /**
   * Writes the header for one attempt and returns the whole batch (the same buffer each
   * time: a request copies it when it is encoded).
   */
  seal(producerId: bigint, producerEpoch: number, firstSequence: number, transactional = false) {
    const b = this.bytes;
    b.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
    b.writeInt32BE(b.length - 12, 8); // batch length: what follows this field
    b.writeInt32BE(-1, 12); // partition leader epoch: none (the broker sets it)
    b.writeInt8(2, 16); // magic
    b.writeInt16BE(this.codec | (transactional ? TRANSACTIONAL : 0), 21);
    b.writeInt32BE(this.count - 1, 23); // last offset delta
    b.writeBigInt64BE(BigInt(this.firstTimestamp), 27);
    b.writeBigInt64BE(BigInt(this.maxTimestamp), 35);
    b.writeBigInt64BE(producerId, 43);
    b.writeInt16BE(producerEpoch, 51);
    b.writeInt32BE(firstSequence, 53);
    b.writeInt32BE(this.count, 57);
    b.writeUInt32BE(crc32c(b, 21), 17); // over attributes … last record
    return b;
  }
}

interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
}
