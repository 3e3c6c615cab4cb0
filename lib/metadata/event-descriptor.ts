import type { KafkaHeaderMetadata } from '../decorators/kafka-header.decorator.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilitySpec } from '../interfaces/reliability.interface.js';
import type { Serializer, SerializerRef } from '../interfaces/serializer.interface.js';
import type { KeyExtractor } from './key-extractor.js';

/** Everything the decorators of one event class say, read once and cached. */
export interface EventDescriptor {
  readonly className: string;
  readonly topic: string;
  /** `null` for keyless events. */
  readonly key: KeyExtractor | null;
  /** Undefined where the class names none (the module default applies). */
  readonly serializer?: SerializerRef;
  readonly keySerializer?: SerializerRef;
  readonly compression?: CompressionCodec;
  /** What is serialized as the value, from the event. */
  readonly value: (event: object) => unknown;
  readonly reliability?: ReliabilitySpec;
  readonly headers: readonly (KafkaHeaderMetadata & { readonly resolved: Serializer })[];
}
