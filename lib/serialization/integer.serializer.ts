import { SerializationError } from '../errors/serialization.error.js';
import type { SerializationContext, Serializer } from '../interfaces/serializer.interface.js';
import { describeValue } from './describe-value.js';

/** 4 bytes big-endian two's complement, as Java's `IntegerSerializer`. Takes 32-bit integers only. */
export class IntegerSerializer implements Serializer<unknown> {
  readonly name = 'integer';

  serialize(data: unknown, context: SerializationContext): Buffer | null {
    if (data === null || data === undefined) return null;
    if (typeof data !== 'number' || !Number.isInteger(data)) {
      throw new SerializationError(
        this.name,
        context.part,
        `expected an integer, got ${describeValue(data)}`,
      );
    }
    if (data < -2147483648 || data > 2147483647) {
      throw new SerializationError(this.name, context.part, `${data} is outside the 32-bit range`);
    }
    const bytes = Buffer.allocUnsafe(4);
    bytes.writeInt32BE(data, 0);
    return bytes;
  }
}
