import { createRequire } from 'node:module';
import { AuthenticationError } from '../../errors/authentication.error.js';
import { AuthorizationError } from '../../errors/authorization.error.js';
import { InvalidTopicError } from '../../errors/invalid-topic.error.js';
import { KafkaProducerError } from '../../errors/kafka-producer.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { UnknownTopicError } from '../../errors/unknown-topic.error.js';

const require = createRequire(import.meta.url);

interface KafkaJsLikeError {
  name?: string;
  message?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
}

/** Wrappers kafkajs puts around the error that really happened. */
const WRAPPERS = new Set(['KafkaJSNumberOfRetriesExceeded', 'KafkaJSNonRetriableError']);

/**
 * Network trouble: worth retrying whatever kafkajs's wrapper says (kafkajs gives up on a
 * broker it cannot reach with a "non-retriable" wrapper around the connection error).
 */
const NETWORK = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSLockTimeout',
]);

/**
 * The broker's answers to an idempotent producer whose numbering went wrong (after a
 * request with an unknown outcome): the records were not written by this request, and a
 * fresh producer may send them again.
 */
const SEQUENCE = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
]);

/** kafkajs wraps the last error of its retries; the broker's answer is inside. */
function innermost(error: KafkaJsLikeError): KafkaJsLikeError {
  let current = error;
  while (WRAPPERS.has(current.name ?? '') && current.cause && current.cause !== current) {
    current = current.cause;
  }
  return current;
}

/** Turns whatever kafkajs threw into the module's typed error for that failure. */
export function toProducerError(error: unknown, topic: string): KafkaProducerError {
  if (error instanceof KafkaProducerError) return error;
  const outer = (error ?? {}) as KafkaJsLikeError;
  const inner = innermost(outer);
  if (inner instanceof KafkaProducerError) return inner;
  const reason = inner.message ?? String(error);
  switch (inner.type) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      return new UnknownTopicError(topic, error);
    case 'INVALID_TOPIC_EXCEPTION':
      return new InvalidTopicError(topic);
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'CLUSTER_AUTHORIZATION_FAILED':
      return new AuthorizationError(topic, reason, error);
    case 'SASL_AUTHENTICATION_FAILED':
      return new AuthenticationError(reason, error);
  }
  if (inner.name === 'KafkaJSSASLAuthenticationError')
    return new AuthenticationError(reason, error);
  const retriable =
    NETWORK.has(inner.name ?? '') || SEQUENCE.has(inner.type ?? '') || (inner.retriable ?? false);
  return new SendFailedError(topic, retriable, inner.type, reason, error);
}

/**
 * Whether a failed request may have been written anyway, or the producer's numbering is off:
 * anything but a typed refusal of the records themselves (unknown topic, authorization, ...).
 * An idempotent producer must not reuse its sequence numbers after such a failure.
 */
export function outcomeInDoubt(error: unknown): boolean {
  const mapped = toProducerError(error, '');
  return mapped.retriable;
}

/** kafkajs's error for a broker error code (a KafkaJSProtocolError with its type and retriable). */
export function brokerError(code: number): Error & { type?: string; retriable?: boolean } {
  const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
    createErrorFromCode: (code: number) => Error & { type?: string; retriable?: boolean };
  };
  return createErrorFromCode(code);
}
