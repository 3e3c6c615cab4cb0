import { KafkaProducerError } from './kafka-producer.error.js';

/** A decorator or module option is invalid. Thrown when the class or module is set up. */
export class ConfigurationError extends KafkaProducerError {
  readonly retriable = false;

  constructor(message: string) {
    super(message);
  }
}
