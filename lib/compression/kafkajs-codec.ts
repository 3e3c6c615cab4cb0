/**
 * What kafkajs hands a codec's `compress()`: its protocol `Encoder` holding the encoded records of
 * one batch. Only `buffer` (the written bytes, a view without a copy) is read.
 */
export interface CodecInput {
  readonly buffer: Buffer;
}

/**
 * The object a kafkajs `CompressionCodecs` entry returns. kafkajs calls the entry's factory for
 * every batch it compresses or decompresses, so the codecs here build this object once and the
 * factory only returns it.
 *
 * - `compress` gets the records of one batch (all of a record batch after its header) and returns
 *   the bytes kafkajs writes as the batch's records section; the broker and every consumer,
 *   including the Java ones, must be able to read them.
 * - `decompress` gets such a section as written by any producer (kafkajs with these codecs, Java,
 *   librdkafka, ...) and returns the records.
 */
export interface KafkaJsCodec {
  compress(encoder: CodecInput): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
