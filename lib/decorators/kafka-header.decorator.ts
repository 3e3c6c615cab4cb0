import 'reflect-metadata';
import type { SerializerRef } from '../interfaces/serializer.interface.js';
import { KAFKA_HEADERS_METADATA } from '../kafka-producer.constants.js';

/** One `@KafkaHeader` property. */
export interface KafkaHeaderMetadata {
  readonly property: string;
  readonly header: string;
  /** Default `'string'`: text as UTF-8, numbers and booleans as their text, Buffers as they are. */
  readonly serializer?: SerializerRef;
}

/**
 * Also sends a property as a record header named `header` (the property stays in the
 * value). Null or undefined values send no header. Subclasses inherit their parents'
 * headers.
 */
export const KafkaHeader =
  (header: string, options: { serializer?: SerializerRef } = {}): PropertyDecorator =>
  (target, property) => {
    const ctor = target.constructor;
    const inherited: KafkaHeaderMetadata[] =
      Reflect.getMetadata(KAFKA_HEADERS_METADATA, ctor) ?? [];
    const own = Reflect.hasOwnMetadata(KAFKA_HEADERS_METADATA, ctor) ? inherited : [...inherited];
    const entry = { property: String(property), header, serializer: options.serializer };
    const kept = own.filter((h) => h.property !== entry.property);
    Reflect.defineMetadata(KAFKA_HEADERS_METADATA, [...kept, entry], ctor);
  };
