import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsInt, IsString, Min } from 'class-validator';
import {
  InvalidEventError,
  InvalidTopicError,
  KafkaEvent,
  KafkaProducerError,
  KafkaProducerModule,
  KeyDerivationError,
  KeyedBy,
  ProducerService,
  RecordTooLargeError,
  SerializationError,
  ValidationError,
} from '../lib/index.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic, topicRecordCount } from './support/read-topic.js';

const topic = uniqueTopic('e2e-bad-input');

@KafkaEvent(topic)
@KeyedBy('id')
class Payment {
  @IsString() id!: string;
  @IsInt() @Min(1) cents!: number;
  extra?: unknown;

  static of(id: string | undefined, cents: number, extra?: unknown): Payment {
    return Object.assign(new Payment(), { id, cents, extra });
  }
}

@KafkaEvent(topic, { serializer: 'integer', valueFrom: 'cents' })
class Cents {
  cents!: unknown;
}

/** No validator on the key field: the key derivation itself must catch a missing key. */
@KafkaEvent(topic)
@KeyedBy('refundId')
class Refund {
  refundId?: string | null;
}

class Undecorated {
  id = 'x';
}

describe('bad input gets a typed error before a byte leaves the process', () => {
  const brokers = testBrokers();
  let app: INestApplicationContext;
  let producer: ProducerService;

  beforeAll(async () => {
    await createTopic(brokers, topic, 2);
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-bad' },
          producer: { maxRequestSize: 10_000 },
        }),
      ],
    }).compile();
    app = await moduleRef.init();
    producer = app.get(ProducerService);
  });

  afterAll(() => app.close());

  const circular: Record<string, unknown> = {};
  circular.self = circular;

  const cases: Array<
    [string, () => Promise<unknown>, new (...args: any[]) => KafkaProducerError, RegExp]
  > = [
    [
      'a DTO failing validation',
      () => producer.send(Payment.of('p', 0)),
      ValidationError,
      /cents \(.*must not be less than 1/,
    ],
    [
      'a missing key field',
      () => producer.send(new Refund()),
      KeyDerivationError,
      /field "refundId" is null or undefined/,
    ],
    [
      'a null key field',
      () => producer.send(Object.assign(new Refund(), { refundId: null })),
      KeyDerivationError,
      /field "refundId"/,
    ],
    [
      'a class with no @KafkaEvent',
      () => producer.send(new Undecorated()),
      InvalidEventError,
      /Undecorated is not a Kafka event/,
    ],
    ['null', () => producer.send(null as unknown as object), InvalidEventError, /got null/],
    [
      'undefined',
      () => producer.send(undefined as unknown as object),
      InvalidEventError,
      /got undefined/,
    ],
    ['a primitive', () => producer.send(7 as unknown as object), InvalidEventError, /got number/],
    [
      'circular JSON',
      () => producer.send(Payment.of('p', 5, circular)),
      SerializationError,
      /circular/i,
    ],
    ['BigInt in JSON', () => producer.send(Payment.of('p', 5, 10n)), SerializationError, /BigInt/],
    [
      'the Integer serializer given a string',
      () => producer.send(Object.assign(new Cents(), { cents: '12' })),
      SerializationError,
      /integer serializer .* expected an integer, got a string/,
    ],
    [
      'the Integer serializer given a string key',
      () => producer.send(Payment.of('p', 5), { keySerializer: 'integer' }),
      SerializationError,
      /the key/,
    ],
    [
      'an invalid topic name',
      () => producer.send(Payment.of('p', 5), { topic: 'no spaces allowed' }),
      InvalidTopicError,
      /invalid topic name/,
    ],
    [
      'an invalid raw topic name',
      () => producer.sendRaw('bad/topic', [{ value: 'v' }]),
      InvalidTopicError,
      /invalid topic name/,
    ],
    [
      'a value over maxRequestSize',
      () => producer.send(Payment.of('p', 5, 'x'.repeat(20_000))),
      RecordTooLargeError,
      /more than maxRequestSize \(10000 bytes\)/,
    ],
    [
      'one bad event in sendMany',
      () => producer.sendMany([Payment.of('ok', 1), Payment.of('bad', -1)]),
      ValidationError,
      /cents/,
    ],
  ];

  it.each(cases)('%s', async (_name, send, type, message) => {
    const error = await send().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(KafkaProducerError);
    expect((error as KafkaProducerError).retriable).toBe(false);
    expect((error as Error).message).toMatch(message);
  });

  it('none of them reached the broker, and the producer still works', async () => {
    const sentinel = await producer.send(Payment.of('sentinel', 1));
    const records = await readTopic(brokers, topic, 1, { settleMs: 1000 });
    expect(records.map((r) => r.key!.toString())).toEqual(['sentinel']);
    expect(records[0].headers['x-event-id'].toString()).toBe(sentinel.eventId);
    expect(await topicRecordCount(brokers, topic)).toBe(1);
  });
});
