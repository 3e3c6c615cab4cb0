import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/** Which part of a record a serializer was given. */
export type RecordPart = 'key' | 'value' | `header ${string}`;

/** A serializer refused its input (wrong type, circular JSON, BigInt…). Nothing was sent. */
export class SerializationError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly serializer: string,
    readonly part: RecordPart,
    reason: string,
    cause?: unknown,
  ) {
    super(Messages.serialization(serializer, part, reason), cause);
  }
}
