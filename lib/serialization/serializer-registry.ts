import { ConfigurationError } from '../errors/configuration.error.js';
import { SerializationError } from '../errors/serialization.error.js';
import type {
  SerializationContext,
  Serializer,
  SerializerName,
  SerializerRef,
} from '../interfaces/serializer.interface.js';
import { Messages } from '../kafka-producer.messages.js';
import { BufferSerializer } from './buffer.serializer.js';
import { IntegerSerializer } from './integer.serializer.js';
import { JsonSerializer } from './json.serializer.js';
import { StringSerializer } from './string.serializer.js';

const BUILT_IN: Record<SerializerName, Serializer> = {
  string: new StringSerializer(),
  integer: new IntegerSerializer(),
  json: new JsonSerializer(),
  buffer: new BufferSerializer(),
};

/** The serializer a name or object stands for; throws ConfigurationError for an unknown name. */
export function resolveSerializer(ref: SerializerRef): Serializer {
  if (typeof ref === 'string') {
    const found = BUILT_IN[ref];
    if (!found) throw new ConfigurationError(Messages.unknownSerializer(ref));
    return found;
  }
  if (!ref || typeof ref.serialize !== 'function') {
    throw new ConfigurationError(Messages.unknownSerializer(typeof ref));
  }
  return ref;
}

/**
 * Runs a serializer and makes sure whatever goes wrong surfaces as a SerializationError
 * (custom serializers may throw anything, or return something that is not a Buffer).
 */
export function serializeWith(
  serializer: Serializer,
  data: unknown,
  context: SerializationContext,
): Buffer | null {
  let bytes: unknown;
  try {
    bytes = serializer.serialize(data, context);
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new SerializationError(serializer.name, context.part, reason, error);
  }
  if (bytes !== null && !Buffer.isBuffer(bytes)) {
    throw new SerializationError(serializer.name, context.part, 'returned something not a Buffer');
  }
  return bytes;
}
