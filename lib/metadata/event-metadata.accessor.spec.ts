import 'reflect-metadata';
import { KafkaEvent } from '../decorators/kafka-event.decorator.js';
import { KafkaHeader } from '../decorators/kafka-header.decorator.js';
import { KeyedBy } from '../decorators/keyed-by.decorator.js';
import { Reliability } from '../decorators/reliability.decorator.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { InvalidEventError } from '../errors/invalid-event.error.js';
import { KeyDerivationError } from '../errors/key-derivation.error.js';
import { EventMetadataAccessor } from './event-metadata.accessor.js';

@KafkaEvent('orders', { compression: 'gzip' })
@KeyedBy('orderId')
@Reliability('leader')
class OrderEvent {
  orderId?: string | null;
  @KafkaHeader('x-tenant') tenant?: string;
}

class OrderShipped extends OrderEvent {
  @KafkaHeader('x-carrier') carrier?: string;
}

@KafkaEvent('audit')
@KeyedBy(['tenant', 'orderId'])
class Audited extends OrderEvent {}

@KafkaEvent('fn')
@KeyedBy((e: { id: number }) => Buffer.from([e.id]))
class ByFunction {
  id = 7;
}

class Plain {}

describe('EventMetadataAccessor', () => {
  const accessor = new EventMetadataAccessor();

  it('reads every decorator of a class once and caches the result', () => {
    const d = accessor.get(OrderEvent);
    expect(d).toMatchObject({
      className: 'OrderEvent',
      topic: 'orders',
      compression: 'gzip',
      reliability: 'leader',
    });
    expect(d.headers.map((h) => [h.property, h.header])).toEqual([['tenant', 'x-tenant']]);
    expect(accessor.get(OrderEvent)).toBe(d);
  });

  it('subclasses inherit decorators and headers, and may override them', () => {
    const shipped = accessor.get(OrderShipped);
    expect(shipped.topic).toBe('orders');
    expect(shipped.reliability).toBe('leader');
    expect(shipped.headers.map((h) => h.header)).toEqual(['x-tenant', 'x-carrier']);
    expect(accessor.get(OrderEvent).headers).toHaveLength(1);
    const audited = accessor.get(Audited);
    expect(audited.topic).toBe('audit');
    expect(audited.key!(Object.assign(new Audited(), { tenant: 't1', orderId: 'o9' }))).toBe(
      't1:o9',
    );
  });

  it('derives keys from a field, fields or a function', () => {
    const e = Object.assign(new OrderEvent(), { orderId: 'o-1' });
    expect(accessor.get(OrderEvent).key!(e)).toBe('o-1');
    expect(accessor.get(ByFunction).key!(new ByFunction())).toEqual(Buffer.from([7]));
  });

  it('a missing or null key field is a KeyDerivationError naming the field', () => {
    const key = accessor.get(OrderEvent).key!;
    expect(() => key(new OrderEvent())).toThrow(KeyDerivationError);
    expect(() => key(Object.assign(new OrderEvent(), { orderId: null }))).toThrow(
      /field "orderId" is null or undefined/,
    );
  });

  it('a class without @KafkaEvent is an InvalidEventError', () => {
    expect(() => accessor.get(Plain)).toThrow(InvalidEventError);
    expect(() => accessor.get(Object)).toThrow(/Object is not a Kafka event/);
  });

  it('an empty @KeyedBy spec is a ConfigurationError', () => {
    @KafkaEvent('x')
    @KeyedBy([])
    class Broken {}
    expect(() => accessor.get(Broken)).toThrow(ConfigurationError);
  });
});
