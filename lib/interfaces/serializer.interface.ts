import type { RecordPart } from '../errors/serialization.error.js';

/** What a serializer is told about the bytes it makes. */
export interface SerializationContext {
  readonly topic: string;
  readonly part: RecordPart;
}

/**
 * Turns a key, value or header into bytes, as Java's `Serializer<T>`. Throw
 * `SerializationError` (or any error: it is wrapped in one) for input it cannot take.
 */
export interface Serializer<T = unknown> {
  /** Shown in errors. */
  readonly name: string;
  /** The bytes, or `null` for a null key or a tombstone value. */
  serialize(data: T, context: SerializationContext): Buffer | null;
}

/** The built-in serializers by name. */
export type SerializerName = 'string' | 'integer' | 'json' | 'buffer';

/** A serializer by name, or a custom `Serializer`. */
export type SerializerRef = SerializerName | Serializer;
