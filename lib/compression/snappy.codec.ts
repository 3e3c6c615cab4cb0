import type { KafkaJsCodec } from './kafkajs-codec.js';

/** The npm package that provides snappy compression ({@link https://www.npmjs.com/package/snappy}). */
export const SNAPPY_PACKAGE = 'snappy';

/** The versions supported (the peer range): napi-rs: binaries inside per-platform npm packages. */
export const SNAPPY_RANGE = '^7.0.0';

/** The part of the `snappy` package (napi-rs, raw snappy blocks) this codec uses. */
export interface SnappyBinding {
  compress(input: Buffer): Promise<Buffer>;
  uncompress(input: Buffer, options?: { asBuffer?: boolean }): Promise<Buffer | string>;
}

/** `\x82SNAPPY\0`: the start of snappy-java's stream format (SnappyOutputStream). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic (8 bytes), then int32 version and int32 minimum compatible version. */
const XERIAL_HEADER_LENGTH = 16;

/**
 * Whether `data` starts with snappy-java's stream header, the framing the Java producer writes
 * (`SnappyOutputStream`: header, then blocks of `int32 length` + raw snappy of up to 32 KiB).
 * Like snappy-java's `SnappyInputStream`, anything else is taken as one raw snappy block.
 */
export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_LENGTH && XERIAL_MAGIC.equals(data.subarray(0, 8));
}

/**
 * Splits a snappy-java (xerial) stream into its raw snappy blocks, without copying. A header
 * found where a block length is expected starts a concatenated stream and is skipped, as
 * `SnappyInputStream` does. Throws on a truncated stream instead of returning part of it.
 */
export function xerialBlocks(data: Buffer): Buffer[] {
  if (!isXerialFramed(data)) throw new Error('snappy: not a snappy-java (xerial) stream');
  const blocks: Buffer[] = [];
  let offset = XERIAL_HEADER_LENGTH;
  while (offset < data.length) {
    if (
      data.length - offset >= XERIAL_HEADER_LENGTH &&
      XERIAL_MAGIC.equals(data.subarray(offset, offset + 8))
    ) {
      offset += XERIAL_HEADER_LENGTH;
      continue;
    }
    if (data.length - offset < 4) {
      throw new Error(`snappy: truncated xerial block length at byte ${offset}`);
    }
    const length = data.readInt32BE(offset);
    offset += 4;
    if (length < 0 || length > data.length - offset) {
      throw new Error(
        `snappy: xerial block at byte ${offset - 4} claims ${length} bytes, ` +
          `${data.length - offset} left`,
      );
    }
    blocks.push(data.subarray(offset, offset + length));
    offset += length;
  }
  return blocks;
}

/**
 * Kafka's snappy codec for kafkajs.
 *
 * Compress writes one raw snappy block per record batch, as librdkafka, sarama and kafkajs-snappy
 * do: one native call, no framing. Kafka reads snappy with snappy-java's `SnappyInputStream`,
 * which falls back to raw snappy when the xerial header is absent, so the broker and Java
 * consumers accept it (checked against Kafka's own `Compression.snappy()` in the e2e tests).
 *
 * Decompress reads both that raw form and the xerial stream the Java producer writes; the
 * stream's blocks are decompressed in parallel on the libuv thread pool.
 */
export function createSnappyCodec(snappy: SnappyBinding): KafkaJsCodec {
  const uncompress = async (block: Buffer): Promise<Buffer> => {
    const out = await snappy.uncompress(block, { asBuffer: true });
    return typeof out === 'string' ? Buffer.from(out) : out;
  };
  return {
    compress: (encoder) => snappy.compress(encoder.buffer),
    async decompress(buffer) {
      if (!isXerialFramed(buffer)) return uncompress(buffer);
      const blocks = xerialBlocks(buffer);
      if (blocks.length === 1) return uncompress(blocks[0]);
      return Buffer.concat(await Promise.all(blocks.map(uncompress)));
    },
  };
}
