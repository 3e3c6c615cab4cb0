import { createRequire } from 'node:module';
import { AuthenticationError } from '../../errors/authentication.error.js';
import { AuthorizationError } from '../../errors/authorization.error.js';
import { InvalidTopicError } from '../../errors/invalid-topic.error.js';
import { KafkaProducerError } from '../../errors/kafka-producer.error.js';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { TlsError } from '../../errors/tls.error.js';
import { UnknownTopicError } from '../../errors/unknown-topic.error.js';
import { Messages } from '../../kafka-producer.messages.js';

const require = createRequire(import.meta.url);

interface KafkaJsLikeError {
  name?: string;
  message?: string;
  type?: string;
  retriable?: boolean;
  cause?: unknown;
  /** KafkaJSConnectionError: the socket error's code (Node's, OpenSSL's for TLS); a number on KafkaJSProtocolError. */
  code?: string | number;
  /** KafkaJSConnectionError: `host:port`. */
  broker?: string;
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

/**
 * Node's codes for a broker certificate that does not verify (OpenSSL's X509_V_ERR names,
 * and Node's own host name check). Every `ERR_SSL_*` code (a failed handshake: an alert from
 * the broker, TLS spoken to a plaintext port) counts too. Not `ERR_TLS_HANDSHAKE_TIMEOUT`:
 * a timeout may pass.
 */
const TLS_VERIFY = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** `code` is a socket error's (a string); a broker error's code (KafkaJSProtocolError) is a number. */
function isTlsFailure(code: unknown): code is string {
  return typeof code === 'string' && (TLS_VERIFY.has(code) || code.startsWith('ERR_SSL_'));
}

/** kafkajs wraps the last error of its retries; the broker's answer is inside. */
function innermost(error: KafkaJsLikeError): KafkaJsLikeError {
  let current = error;
  while (WRAPPERS.has(current.name ?? '') && current.cause && current.cause !== current) {
    current = current.cause;
  }
  return current;
}

/** The transactional id and consumer group a coordinator call was about, for its refusals. */
export interface RefusalContext {
  readonly transactionalId?: string;
  readonly groupId?: string;
}

/** Turns whatever kafkajs threw into the module's typed error for that failure. */
export function toProducerError(
  error: unknown,
  topic: string,
  context: RefusalContext = {},
): KafkaProducerError {
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
    case 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED':
      return new AuthorizationError('', reason, error, {
        resource: 'transactional-id',
        name: context.transactionalId ?? '',
      });
    case 'GROUP_AUTHORIZATION_FAILED':
      return new AuthorizationError('', reason, error, {
        resource: 'group',
        name: context.groupId ?? '',
      });
    case 'SASL_AUTHENTICATION_FAILED':
      return new AuthenticationError(reason, error);
  }
  if (inner.name === 'KafkaJSSASLAuthenticationError')
    return new AuthenticationError(reason, error);
  if (isTlsFailure(inner.code)) return new TlsError(inner.broker, inner.code, reason, error);
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

/**
 * Whether a failed connect failed for a reason that trying again cannot mend: the
 * credentials (SASL), the TLS handshake, or a principal the cluster refuses. A connect
 * retry loop gives up at once on these.
 */
export function isFatalConnectError(error: unknown): boolean {
  const mapped = toProducerError(error, '');
  return (
    mapped instanceof AuthenticationError ||
    mapped instanceof TlsError ||
    mapped instanceof AuthorizationError
  );
}

/**
 * What a failed connect rejects with: the typed error when it is fatal (see
 * {@link isFatalConnectError}), else a retriable ProducerNotConnectedError naming the brokers.
 */
export function connectFailure(error: unknown, brokers: readonly string[]): KafkaProducerError {
  if (isFatalConnectError(error)) return toProducerError(error, '');
  const reason = error instanceof Error ? error.message : String(error);
  return new ProducerNotConnectedError(Messages.notConnected(brokers, reason), brokers, {
    cause: error,
  });
}
