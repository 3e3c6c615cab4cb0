import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * The value given to `send()` is not an event: `null`, `undefined`, a primitive, or an
 * object whose class has no `@KafkaEvent`. Nothing was sent.
 */
export class InvalidEventError extends KafkaProducerError {
  readonly retriable = false;

  constructor(message: string) {
    super(message);
  }
}
