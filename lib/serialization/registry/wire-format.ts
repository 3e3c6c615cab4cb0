/** The first byte of Confluent's wire format (a 4-byte schema id follows). */
export const MAGIC_BYTE = 0;

/** Headers that carry the schema id when `schemaIdLocation` is `'header'` (Confluent's names). */
export const SCHEMA_ID_HEADERS = { key: '__key_schema_id', value: '__value_schema_id' } as const;

/** Kafka's `ByteUtils.writeVarint`: zigzag, then 7 bits a byte, low bits first. */
function pushVarint(out: number[], value: number): void {
  let n = ((value << 1) ^ (value >> 31)) >>> 0;
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
}

/**
 * Confluent's Protobuf message indexes: the path of the message type in its file (`[0]` is
 * the first top-level message, `[1, 0]` the first message nested in the second), written as
 * a zigzag-varint count and each index, except the common `[0]`, which is one 0 byte.
 */
export function messageIndexBytes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const out: number[] = [];
  pushVarint(out, indexes.length);
  for (const index of indexes) pushVarint(out, index);
  return Buffer.from(out);
}

/**
 * What goes before the message: magic byte 0, the schema id as 4 bytes big-endian, then the
 * Protobuf message indexes when there are any. The same bytes make the header form.
 */
export function schemaIdBytes(id: number, messageIndexes?: readonly number[]): Buffer {
  const head = Buffer.allocUnsafe(5);
  head[0] = MAGIC_BYTE;
  head.writeInt32BE(id, 1);
  return messageIndexes ? Buffer.concat([head, messageIndexBytes(messageIndexes)]) : head;
}
