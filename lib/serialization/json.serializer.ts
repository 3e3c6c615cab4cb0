import { SerializationError } from '../errors/serialization.error.js';
import type { SerializationContext, Serializer } from '../interfaces/serializer.interface.js';

/**
 * UTF-8 JSON of the value (`toJSON` is honoured). Circular structures, BigInt values and
 * values with no JSON form (a function, `undefined`) are refused with a SerializationError.
 */
export class JsonSerializer implements Serializer<unknown> {
  readonly name = 'json';

  serialize(data: unknown, context: SerializationContext): Buffer | null {
    if (data === null || data === undefined) return null;
    let text: string | undefined;
    try {
      text = JSON.stringify(data);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new SerializationError(this.name, context.part, reason, error);
    }
    if (text === undefined) {
      throw new SerializationError(this.name, context.part, `${typeof data} has no JSON form`);
    }
    return Buffer.from(text, 'utf8');
  }
}
