import 'reflect-metadata';
import type { KafkaEventMetadata } from '../decorators/kafka-event.decorator.js';
import type { KafkaHeaderMetadata } from '../decorators/kafka-header.decorator.js';
import type { KeyedBySpec } from '../decorators/keyed-by.decorator.js';
import { InvalidEventError } from '../errors/invalid-event.error.js';
import type { ReliabilitySpec } from '../interfaces/reliability.interface.js';
import {
  KAFKA_EVENT_METADATA,
  KAFKA_HEADERS_METADATA,
  KEYED_BY_METADATA,
  RELIABILITY_METADATA,
} from '../kafka-producer.constants.js';
import { Messages } from '../kafka-producer.messages.js';
import { resolveSerializer } from '../serialization/serializer-registry.js';
import type { EventDescriptor } from './event-descriptor.js';
import { compileKeyExtractor } from './key-extractor.js';

function valueExtractor(from: KafkaEventMetadata['valueFrom']): (event: object) => unknown {
  if (typeof from === 'function') return from;
  if (typeof from === 'string') return (event) => (event as Record<string, unknown>)[from];
  return (event) => event;
}

/**
 * Reads the decorators of an event class once and caches the result, so the send path
 * never walks metadata twice. `Reflect.getMetadata` follows the prototype chain, which
 * is what makes subclasses inherit their parents' decorators.
 */
export class EventMetadataAccessor {
  private readonly cache = new WeakMap<Function, EventDescriptor>();

  /** The descriptor of `ctor`; throws InvalidEventError if it has no `@KafkaEvent`. */
  get(ctor: Function): EventDescriptor {
    let descriptor = this.cache.get(ctor);
    if (!descriptor) {
      descriptor = this.read(ctor);
      this.cache.set(ctor, descriptor);
    }
    return descriptor;
  }

  private read(ctor: Function): EventDescriptor {
    const className = ctor.name || 'anonymous class';
    const event: KafkaEventMetadata | undefined = Reflect.getMetadata(KAFKA_EVENT_METADATA, ctor);
    if (!event) throw new InvalidEventError(Messages.notDecorated(className));
    const keyedBy: KeyedBySpec | undefined = Reflect.getMetadata(KEYED_BY_METADATA, ctor);
    const reliability: ReliabilitySpec | undefined = Reflect.getMetadata(
      RELIABILITY_METADATA,
      ctor,
    );
    const headers: KafkaHeaderMetadata[] = Reflect.getMetadata(KAFKA_HEADERS_METADATA, ctor) ?? [];
    return {
      className,
      topic: event.topic,
      key: keyedBy === undefined ? null : compileKeyExtractor(className, keyedBy),
      serializer: event.serializer,
      keySerializer: event.keySerializer,
      compression: event.compression,
      value: valueExtractor(event.valueFrom),
      reliability,
      headers: headers.map((h) => ({
        ...h,
        resolved: resolveSerializer(h.serializer ?? 'string'),
      })),
    };
  }
}
