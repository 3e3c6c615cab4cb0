import type { CompressionCodec } from './compression.interface.js';
import type { ReliabilitySpec } from './reliability.interface.js';
import type { SerializerRef } from './serializer.interface.js';

/** Per-call overrides of `send()` / `sendMany()`; each wins over the event class's decorators. */
export interface SendOptions {
  /** Topic instead of the `@KafkaEvent` topic. */
  topic?: string;
  /** Key instead of the `@KeyedBy` key; `null` sends a keyless record. */
  key?: string | number | bigint | Buffer | null;
  /** Explicit partition; skips the partitioner. */
  partition?: number;
  /** Extra headers; they win over `@KafkaHeader` ones of the same name. */
  headers?: Record<string, string | Buffer>;
  /** Value serializer. */
  serializer?: SerializerRef;
  /** Key serializer. */
  keySerializer?: SerializerRef;
  /** Compression codec. */
  compression?: CompressionCodec;
  /** Reliability instead of the `@Reliability` one. */
  reliability?: ReliabilitySpec;
}

/** A record of `sendRaw()`: bytes or strings, no decorators involved. */
export interface RawRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
  /** CreateTime in ms; default now. */
  timestamp?: number;
}

/** Options of `sendRaw()`. */
export interface RawSendOptions {
  compression?: CompressionCodec;
  reliability?: ReliabilitySpec;
}
