import type { KafkaJsCodec } from './kafkajs-codec.js';

/** The npm package that provides zstd compression ({@link https://www.npmjs.com/package/@mongodb-js/zstd}). */
export const ZSTD_PACKAGE = '@mongodb-js/zstd';

/** The versions supported (the peer range): 1.x is the napi-rs line, whose binaries come inside per-platform npm packages; 2.x and later download a prebuilt binary at install, which fails offline and behind registries-only proxies. */
export const ZSTD_RANGE = '^1.2.2';

/**
 * Compression level: 3, zstd's own default and the Java producer's (`compression.zstd.level`
 * defaults to 3), a good speed/ratio balance for record batches. (`@mongodb-js/zstd` 1.x drops
 * the level argument and always uses zstd's default, which is this same 3; later lines honour it.)
 */
export const ZSTD_LEVEL = 3;

/** The part of `@mongodb-js/zstd` (same two functions in its 1.x napi-rs and later lines) used here. */
export interface ZstdBinding {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

/**
 * Kafka's zstd codec for kafkajs: standard zstd frames, as zstd-jni's `ZstdOutputStream` writes
 * for the Java producer. Decompress also reads frames without a content size (which is what Java
 * writes) and concatenated frames.
 */
export function createZstdCodec(zstd: ZstdBinding, level = ZSTD_LEVEL): KafkaJsCodec {
  return {
    compress: (encoder) => zstd.compress(encoder.buffer, level),
    decompress: (buffer) => zstd.decompress(buffer),
  };
}
