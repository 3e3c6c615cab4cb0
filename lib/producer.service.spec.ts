import 'reflect-metadata';
import { IsInt, Min } from 'class-validator';
import { KafkaEvent } from './decorators/kafka-event.decorator.js';
import { KeyedBy } from './decorators/keyed-by.decorator.js';
import { InvalidEventError } from './errors/invalid-event.error.js';
import { KeyDerivationError } from './errors/key-derivation.error.js';
import { ProducerNotConnectedError } from './errors/producer-not-connected.error.js';
import { SerializationError } from './errors/serialization.error.js';
import { ValidationError } from './errors/validation.error.js';
import { ProducerService } from './producer.service.js';

@KafkaEvent('orders')
@KeyedBy('id')
class Order {
  constructor(
    public id?: string,
    quantity = 1,
  ) {
    this.quantity = quantity;
  }
  @IsInt() @Min(1) quantity: number;
}

class NotAnEvent {}

// The broker address is closed and connect is lazy with one quick attempt: every case
// here must fail before the producer touches the network, and a send that does get as
// far as connecting proves it with ProducerNotConnectedError.
function producer() {
  return new ProducerService({
    client: { brokers: ['127.0.0.1:1'], clientId: 'spec', retry: { retries: 0 } },
    connect: 'lazy',
    connectRetries: 1,
    connectTimeoutMs: 1000,
  });
}

describe('ProducerService input checks (no broker)', () => {
  const service = producer();
  afterAll(() => service.onApplicationShutdown());

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a string', 'event'],
    ['an array', [new Order('a')]],
  ])('rejects %s with InvalidEventError', async (_label, value) => {
    await expect(service.send(value as object)).rejects.toBeInstanceOf(InvalidEventError);
  });

  it('rejects undecorated classes and plain objects', async () => {
    await expect(service.send(new NotAnEvent())).rejects.toThrow(/NotAnEvent is not a Kafka event/);
    await expect(service.send({ id: 'x' })).rejects.toThrow(/Object is not a Kafka event/);
  });

  it('rejects invalid DTOs, missing keys and unserializable values', async () => {
    await expect(service.send(new Order('a', 0))).rejects.toBeInstanceOf(ValidationError);
    await expect(service.send(new Order(undefined))).rejects.toBeInstanceOf(KeyDerivationError);
    await expect(service.send(new Order('a'), { serializer: 'integer' })).rejects.toBeInstanceOf(
      SerializationError,
    );
  });

  it('sendMany sends nothing when one event is bad', async () => {
    await expect(service.sendMany([new Order('a'), new Order('b', -1)])).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('a good event gets as far as connecting, and a failed connect is not cached', async () => {
    await expect(service.send(new Order('a'))).rejects.toBeInstanceOf(ProducerNotConnectedError);
    await expect(service.send(new Order('a'))).rejects.toThrow(/brokers tried: 127\.0\.0\.1:1/);
  });

  it('refuses new sends once shut down', async () => {
    const closing = producer();
    await closing.onApplicationShutdown();
    await expect(closing.send(new Order('a'))).rejects.toThrow(/shutting down/);
  });
});
