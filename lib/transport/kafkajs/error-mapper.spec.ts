import { AuthenticationError } from '../../errors/authentication.error.js';
import { AuthorizationError } from '../../errors/authorization.error.js';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { TlsError } from '../../errors/tls.error.js';
import { UnknownTopicError } from '../../errors/unknown-topic.error.js';
import {
  brokerError,
  connectFailure,
  isFatalConnectError,
  outcomeInDoubt,
  toProducerError,
} from './error-mapper.js';

const kafkajsError = (name: string, extra: object = {}) =>
  Object.assign(new Error(name), { name, ...extra });

describe('toProducerError', () => {
  it('looks inside kafkajs wrappers for the broker’s answer', () => {
    const inner = kafkajsError('KafkaJSProtocolError', {
      type: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    });
    const wrapped = kafkajsError('KafkaJSNumberOfRetriesExceeded', {
      cause: inner,
      retriable: false,
    });
    expect(toProducerError(wrapped, 't')).toBeInstanceOf(AuthorizationError);
    const unknown = kafkajsError('KafkaJSProtocolError', {
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: true,
    });
    expect(toProducerError(unknown, 't')).toBeInstanceOf(UnknownTopicError);
  });

  it('a connection error stays retriable inside kafkajs’s "non-retriable" wrapper', () => {
    const refused = kafkajsError('KafkaJSConnectionError', { retriable: true });
    const wrapped = kafkajsError('KafkaJSNonRetriableError', { cause: refused, retriable: false });
    const mapped = toProducerError(wrapped, 't');
    expect(mapped).toBeInstanceOf(SendFailedError);
    expect(mapped.retriable).toBe(true);
  });

  it("maps kafkajs's own error for a broker error code (its numeric code is no socket code)", () => {
    const notLeader = toProducerError(brokerError(6), 'orders');
    expect(notLeader).toBeInstanceOf(SendFailedError);
    expect(notLeader).toMatchObject({ retriable: true, brokerError: 'NOT_LEADER_FOR_PARTITION' });
    expect(toProducerError(brokerError(29), 'orders')).toBeInstanceOf(AuthorizationError);
    expect(toProducerError(brokerError(3), 'orders')).toBeInstanceOf(UnknownTopicError);
  });

  it('keeps a fatal broker error fatal', () => {
    const tooLarge = kafkajsError('KafkaJSProtocolError', {
      type: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    expect(toProducerError(tooLarge, 't')).toMatchObject({
      retriable: false,
      brokerError: 'MESSAGE_TOO_LARGE',
    });
  });

  it('treats an idempotent producer’s sequence errors as retriable and in doubt', () => {
    for (const type of ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID']) {
      const error = kafkajsError('KafkaJSProtocolError', { type, retriable: false });
      const wrapped = kafkajsError('KafkaJSNonRetriableError', { cause: error });
      expect(toProducerError(wrapped, 't')).toMatchObject({ retriable: true, brokerError: type });
      expect(outcomeInDoubt(wrapped)).toBe(true);
    }
  });

  it('a timeout leaves the outcome in doubt; an unknown topic does not', () => {
    const timeout = kafkajsError('KafkaJSRequestTimeoutError', { retriable: true });
    expect(outcomeInDoubt(kafkajsError('KafkaJSNumberOfRetriesExceeded', { cause: timeout }))).toBe(
      true,
    );
    const unknown = kafkajsError('KafkaJSProtocolError', { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(outcomeInDoubt(unknown)).toBe(false);
  });

  it('a broker certificate that does not verify is a fatal TlsError that says so, inside kafkajs’s wrappers', () => {
    const cases: Array<[string, RegExp]> = [
      ['SELF_SIGNED_CERT_IN_CHAIN', /not signed by a CA the client trusts \(ssl\.ca\)/],
      ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /not signed by a CA the client trusts/],
      ['ERR_TLS_CERT_ALTNAME_INVALID', /not issued for the host name the client connected to/],
      ['CERT_HAS_EXPIRED', /expired or not yet valid/],
      ['ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', /refused the handshake .*client certificate/],
      ['ERR_SSL_WRONG_VERSION_NUMBER', /the handshake failed \(is the port a TLS listener\?\)/],
    ];
    for (const [code, hint] of cases) {
      const socket = kafkajsError('KafkaJSConnectionError', {
        message: `Connection error: ${code.toLowerCase()}`,
        code,
        broker: '127.0.0.1:9093',
        retriable: true,
      });
      const wrapped = kafkajsError('KafkaJSNumberOfRetriesExceeded', { cause: socket });
      const mapped = toProducerError(wrapped, 't');
      expect(mapped).toBeInstanceOf(TlsError);
      expect(mapped).toMatchObject({ retriable: false, code, broker: '127.0.0.1:9093' });
      const title = code.startsWith('ERR_SSL_') ? 'TLS handshake' : 'TLS verification';
      expect(mapped.message).toMatch(
        new RegExp(`^${title} failed for broker 127\\.0\\.0\\.1:9093`),
      );
      expect(mapped.message).toMatch(hint);
    }
  });

  it('a TLS handshake timeout stays a retriable network error', () => {
    const timeout = kafkajsError('KafkaJSConnectionError', {
      code: 'ERR_TLS_HANDSHAKE_TIMEOUT',
      retriable: true,
    });
    expect(toProducerError(timeout, 't')).toMatchObject({ retriable: true });
    expect(isFatalConnectError(timeout)).toBe(false);
  });

  it('a connect fails for good on refused credentials, TLS and cluster ACLs; otherwise it is retriable', () => {
    const sasl = kafkajsError('KafkaJSSASLAuthenticationError', {
      message: 'SASL SCRAM SHA512 authentication failed: invalid credentials',
      retriable: false,
    });
    const tls = kafkajsError('KafkaJSConnectionError', { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    const cluster = kafkajsError('KafkaJSProtocolError', {
      message: 'Cluster authorization failed',
      type: 'CLUSTER_AUTHORIZATION_FAILED',
      retriable: false,
    });
    const refused = kafkajsError('KafkaJSConnectionError', {
      message: 'Connection error: connect ECONNREFUSED 127.0.0.1:1',
      code: 'ECONNREFUSED',
      retriable: true,
    });
    const brokers = ['127.0.0.1:1'];
    expect(connectFailure(sasl, brokers)).toBeInstanceOf(AuthenticationError);
    expect(connectFailure(tls, brokers)).toBeInstanceOf(TlsError);
    const denied = connectFailure(cluster, brokers);
    expect(denied).toBeInstanceOf(AuthorizationError);
    expect(denied.message).toMatch(
      /not authorized on the cluster .*: Cluster authorization failed/,
    );
    for (const fatal of [sasl, tls, cluster]) expect(isFatalConnectError(fatal)).toBe(true);
    expect(isFatalConnectError(refused)).toBe(false);
    const notConnected = connectFailure(refused, brokers);
    expect(notConnected).toBeInstanceOf(ProducerNotConnectedError);
    expect(notConnected).toMatchObject({ retriable: true, brokers });
    expect(notConnected.message).toMatch(/brokers tried: 127\.0\.0\.1:1.*ECONNREFUSED/);
  });
});
