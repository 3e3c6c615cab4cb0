import { AuthorizationError } from '../../errors/authorization.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { UnknownTopicError } from '../../errors/unknown-topic.error.js';
import { outcomeInDoubt, toProducerError } from './error-mapper.js';

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
});
