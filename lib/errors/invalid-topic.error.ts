import { Messages } from '../kafka-producer.messages.js';
import { KafkaProducerError } from './kafka-producer.error.js';

/** The topic name is not a legal Kafka topic name. Nothing was sent. */
export class InvalidTopicError extends KafkaProducerError {
  readonly retriable = false;

  constructor(readonly topic: string) {
    super(Messages.invalidTopic(topic));
  }
}
