/** Record batch compression codecs. */
export type CompressionCodec = 'none' | 'gzip';
