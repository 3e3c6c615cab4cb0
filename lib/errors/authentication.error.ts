import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/** The cluster refused the credentials (SASL). Fatal. */
export class AuthenticationError extends KafkaProducerError {
  readonly retriable = false;

  constructor(reason: string, cause?: unknown) {
    super(Messages.authentication(reason), cause);
  }
}
