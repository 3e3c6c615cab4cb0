import { SetMetadata } from '@nestjs/common';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { SerializerRef } from '../interfaces/serializer.interface.js';
import { KAFKA_EVENT_METADATA } from '../kafka-producer.constants.js';

/** Options of `@KafkaEvent`. Each falls back to the module's setting. */
export interface KafkaEventOptions {
  /** Value serializer. Default: the module's `serializer` (`'json'`). */
  serializer?: SerializerRef;
  /** Key serializer. Default: the module's `keySerializer` (`'string'`). */
  keySerializer?: SerializerRef;
  /**
   * What becomes the record value: the whole event (default), one of its fields, or a
   * function of it. With `serializer: 'integer'` or `'string'`, name the field that holds
   * the number or text.
   */
  valueFrom?: string | ((event: any) => unknown);
  /** Compression codec. Default: the module's `producer.compression` (`'none'`). */
  compression?: CompressionCodec;
}

/** What `@KafkaEvent` stores. */
export interface KafkaEventMetadata extends KafkaEventOptions {
  readonly topic: string;
}

/**
 * Marks a class as a Kafka event published to `topic`. Subclasses inherit it unless they
 * carry their own `@KafkaEvent`.
 *
 * @example `@KafkaEvent('orders.created', { compression: 'gzip' }) class OrderCreated {}`
 */
export const KafkaEvent = (topic: string, options: KafkaEventOptions = {}): ClassDecorator =>
  SetMetadata<string, KafkaEventMetadata>(KAFKA_EVENT_METADATA, { topic, ...options });
