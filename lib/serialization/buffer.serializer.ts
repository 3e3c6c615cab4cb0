import { SerializationError } from '../errors/serialization.error.js';
import type { SerializationContext, Serializer } from '../interfaces/serializer.interface.js';
import { describeValue } from './describe-value.js';

/** Bytes as they are, as Java's `ByteArraySerializer`: takes a Buffer or a Uint8Array. */
export class BufferSerializer implements Serializer<unknown> {
  readonly name = 'buffer';

  serialize(data: unknown, context: SerializationContext): Buffer | null {
    if (data === null || data === undefined) return null;
    if (Buffer.isBuffer(data)) return data;
    if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.length);
    throw new SerializationError(
      this.name,
      context.part,
      `expected a Buffer, got ${describeValue(data)}`,
    );
  }
}
