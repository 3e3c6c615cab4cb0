/** Record batch compression codecs. */
export type { CompressionCodec } from '../compression/compression-registry.js';
