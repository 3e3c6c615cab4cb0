import { SerializationError } from '../errors/serialization.error.js';
import type { SerializationContext, Serializer } from '../interfaces/serializer.interface.js';
import { describeValue } from './describe-value.js';

/**
 * UTF-8 bytes, as Java's `StringSerializer`. Numbers, bigints and booleans are written as
 * their decimal text (so numeric key fields work); objects are refused.
 */
export class StringSerializer implements Serializer<unknown> {
  readonly name = 'string';

  serialize(data: unknown, context: SerializationContext): Buffer | null {
    if (data === null || data === undefined) return null;
    if (typeof data === 'string') return Buffer.from(data, 'utf8');
    if (typeof data === 'number' || typeof data === 'bigint' || typeof data === 'boolean') {
      return Buffer.from(String(data), 'utf8');
    }
    throw new SerializationError(
      this.name,
      context.part,
      `expected a string, got ${describeValue(data)}`,
    );
  }
}
