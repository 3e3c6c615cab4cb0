import { KafkaProducerError } from './kafka-producer.error.js';

/** The key of an event could not be derived from its `@KeyedBy` spec. Nothing was sent. */
export class KeyDerivationError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly eventClass: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause);
  }
}
