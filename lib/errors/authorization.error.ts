import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/** The principal may not write to the topic (ACLs). Fatal. */
export class AuthorizationError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly topic: string,
    reason: string,
    cause?: unknown,
  ) {
    super(Messages.authorization(topic, reason), cause);
  }
}
