import type { KafkaJsCodec } from './kafkajs-codec.js';

/** The npm package that provides LZ4 compression ({@link https://www.npmjs.com/package/lz4-napi}). */
export const LZ4_PACKAGE = 'lz4-napi';

/** The versions supported (the peer range): napi-rs: binaries inside per-platform npm packages. */
export const LZ4_RANGE = '^2.8.0';

/** The part of the `lz4-napi` package (napi-rs over lz4_flex) this codec uses. */
export interface Lz4Binding {
  compressFrame(data: Buffer): Promise<Buffer>;
  decompressFrame(data: Buffer): Promise<Buffer>;
}

/**
 * Kafka's LZ4 codec for kafkajs: the LZ4 *frame* format, which is what Kafka's
 * `Lz4BlockOutputStream`/`Lz4BlockInputStream` (formerly KafkaLZ4Block*Stream) write and read.
 *
 * lz4-napi writes frames with independent blocks, no block or content checksum and no content
 * size, and a correct header checksum: exactly what Kafka's reader needs for magic v2 batches
 * (it decompresses each block on its own, so linked blocks would not do). Its block size grows
 * with the input (64 KiB up to 4 MiB), all sizes Kafka accepts. It reads Java's frames too
 * (64 KiB blocks, uncompressed blocks for incompressible data).
 *
 * Not supported: the broken header checksum of pre-0.10 (magic v0) LZ4 messages.
 */
export function createLz4Codec(lz4: Lz4Binding): KafkaJsCodec {
  return {
    compress: (encoder) => lz4.compressFrame(encoder.buffer),
    decompress: (buffer) => lz4.decompressFrame(buffer),
  };
}
