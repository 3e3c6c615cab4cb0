import kafkajs from 'kafkajs';
import { compressionType } from '../compression/compression-registry.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import { RECORD_BATCH_HEADER_BYTES, type RecordBatch } from './record-batch.js';
import { readVarint } from './varint.js';

/** One record read back from a {@link RecordBatch}: its parts as bytes, as the broker stores them. */
export interface BatchRecord {
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer>;
}

interface Codec {
  decompress(buffer: Buffer): Promise<Buffer>;
}

function readBytes(buf: Buffer, offset: number): [Buffer | null, number] {
  const [length, start] = readVarint(buf, offset);
  if (length < 0) return [null, start];
  return [buf.subarray(start, start + length), start + length];
}

/**
 * The records of a batch as {@link RecordBatch.encode} wrote them (decompressed with the
 * batch's codec, which must be loaded as for sending): what a consumer would read.
 */
export async function readRecordBatch(
  batch: RecordBatch,
  codec: CompressionCodec,
): Promise<BatchRecord[]> {
  let section = batch.bytes.subarray(RECORD_BATCH_HEADER_BYTES);
  if (codec !== 'none') {
    const type = compressionType(codec);
    const codecs = kafkajs.CompressionCodecs as Record<number, (() => Codec) | undefined>;
    const impl = codecs[type]?.();
    if (!impl) throw new Error(`no kafkajs codec registered for compression '${codec}'`);
    section = await impl.decompress(Buffer.from(section));
  }
  const records: BatchRecord[] = [];
  let o = 0;
  for (let i = 0; i < batch.count; i++) {
    let length: number;
    [length, o] = readVarint(section, o);
    const end = o + length;
    o++; // attributes
    let timestampDelta: number, offsetDelta: number, headerCount: number;
    let key: Buffer | null, value: Buffer | null;
    [timestampDelta, o] = readVarint(section, o);
    [offsetDelta, o] = readVarint(section, o);
    [key, o] = readBytes(section, o);
    [value, o] = readBytes(section, o);
    [headerCount, o] = readVarint(section, o);
    const headers: Record<string, Buffer> = {};
    for (let h = 0; h < headerCount; h++) {
      let name: Buffer | null, header: Buffer | null;
      [name, o] = readBytes(section, o);
      [header, o] = readBytes(section, o);
      headers[name?.toString('utf8') ?? ''] = header ?? Buffer.alloc(0);
    }
    if (o !== end)
      throw new Error(`record ${i} of the batch is ${length} bytes but reads ${o - end + length}`);
    records.push({ offsetDelta, timestampDelta, key, value, headers });
  }
  return records;
}
