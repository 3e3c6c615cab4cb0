export * from './compression-registry.js';
export type { CodecInput, KafkaJsCodec } from './kafkajs-codec.js';
export { createSnappyCodec, SNAPPY_PACKAGE } from './snappy.codec.js';
export { createLz4Codec, LZ4_PACKAGE } from './lz4.codec.js';
export { createZstdCodec, ZSTD_LEVEL, ZSTD_PACKAGE } from './zstd.codec.js';
