import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/**
 * The principal may not write to the topic (ACLs), or, with `topic` empty, may not use the
 * cluster as it asked (an idempotent producer whose principal may write no topic). Fatal.
 */
export class AuthorizationError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly topic: string,
    reason: string,
    cause?: unknown,
  ) {
    super(
      topic ? Messages.authorization(topic, reason) : Messages.clusterAuthorization(reason),
      cause,
    );
  }
}
