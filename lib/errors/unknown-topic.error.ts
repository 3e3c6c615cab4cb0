import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/** The topic does not exist and the cluster does not create topics on demand. */
export class UnknownTopicError extends KafkaProducerError {
  readonly retriable = false;

  constructor(
    readonly topic: string,
    cause?: unknown,
  ) {
    super(Messages.unknownTopic(topic), cause);
  }
}
