import type { RecordPart } from '../errors/serialization.error.js';

/** What a serializer is told about the bytes it makes. */
export interface SerializationContext {
  readonly topic: string;
  readonly part: RecordPart;
  /**
   * The headers of the record being built, for a serializer that writes one (a schema id in
   * headers). Given for keys and values of events; undefined for headers.
   */
  readonly headers?: Record<string, Buffer>;
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
  /**
   * Work to do before the first `serialize` of a topic and part, such as registering a
   * schema: `undefined` when `serialize` can run now, else a promise that settles when it
   * can (a rejection fails the send). Called before each key and value is serialized, so it
   * must be cheap once ready. Optional.
   */
  prepare?(context: SerializationContext): Promise<void> | undefined;
}

/** The built-in serializers by name. */
export type SerializerName = 'string' | 'integer' | 'json' | 'buffer';

/** A serializer by name, or a custom `Serializer`. */
export type SerializerRef = SerializerName | Serializer;
