import { InvalidTopicError } from '../errors/invalid-topic.error.js';
import { TOPIC_NAME_PATTERN } from '../kafka-producer.constants.js';

const valid = new Set<string>();

/** Throws InvalidTopicError unless `topic` is a legal Kafka topic name (checked once per name). */
export function assertTopicName(topic: unknown): asserts topic is string {
  if (typeof topic === 'string' && valid.has(topic)) return;
  if (
    typeof topic !== 'string' ||
    !TOPIC_NAME_PATTERN.test(topic) ||
    topic === '.' ||
    topic === '..'
  ) {
    throw new InvalidTopicError(String(topic));
  }
  valid.add(topic);
}
