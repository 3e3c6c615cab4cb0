import 'reflect-metadata';
import { KafkaEvent } from '../decorators/kafka-event.decorator.js';
import { KafkaHeader } from '../decorators/kafka-header.decorator.js';
import { KeyedBy } from '../decorators/keyed-by.decorator.js';
import { InvalidPartitionError } from '../errors/invalid-partition.error.js';
import { InvalidTopicError } from '../errors/invalid-topic.error.js';
import { RecordTooLargeError } from '../errors/record-too-large.error.js';
import { SerializationError } from '../errors/serialization.error.js';
import { EventMetadataAccessor } from '../metadata/event-metadata.accessor.js';
import { resolveSerializer } from '../serialization/serializer-registry.js';
import { RecordBuilder } from './record-builder.js';

@KafkaEvent('orders.created')
@KeyedBy('orderId')
class OrderCreated {
  constructor(
    public orderId: string | number,
    public quantity: number,
    tenant?: string,
  ) {
    this.tenant = tenant;
  }
  @KafkaHeader('x-tenant-id') tenant?: string;
}

@KafkaEvent('counts', { serializer: 'integer', keySerializer: 'integer', valueFrom: 'n' })
@KeyedBy((e: Count) => e.id)
class Count {
  constructor(
    public id: number | string,
    public n: unknown,
  ) {}
}

describe('RecordBuilder', () => {
  const accessor = new EventMetadataAccessor();
  const builder = new RecordBuilder(resolveSerializer('json'), resolveSerializer('string'), 200);
  const build = (e: object, o = {}) => {
    const record = builder.fromEvent(e, accessor.get(e.constructor), o);
    if (record instanceof Promise) throw new Error('the built-in serializers build synchronously');
    return record;
  };

  it('builds topic, key, JSON value, decorator headers and an x-event-id', () => {
    const r = build(new OrderCreated('o-1', 2, 'acme'));
    expect(r.topic).toBe('orders.created');
    expect(r.key).toEqual(Buffer.from('o-1'));
    expect(r.keyValue).toBe('o-1');
    expect(JSON.parse(r.value!.toString())).toEqual({
      orderId: 'o-1',
      quantity: 2,
      tenant: 'acme',
    });
    expect(r.headers['x-tenant-id']).toEqual(Buffer.from('acme'));
    expect(r.headers['x-event-id'].toString()).toBe(r.eventId);
    expect(r.size).toBe(
      r.key!.length + r.value!.length + 'x-tenant-id'.length + 4 + 'x-event-id'.length + 36,
    );
  });

  it('omits null headers and applies per-call overrides', () => {
    const r = build(new OrderCreated('o-1', 2), {
      topic: 'other',
      key: null,
      partition: 3,
      headers: { a: 'b' },
    });
    expect(r.headers['x-tenant-id']).toBeUndefined();
    expect(r).toMatchObject({ topic: 'other', key: null, partition: 3 });
    expect(r.headers.a).toEqual(Buffer.from('b'));
  });

  it('adds a traced send’s headers the event has not set, counted in the size', () => {
    const trace = {
      headers: (existing: Readonly<Record<string, Buffer>>) => {
        const mine = {
          traceparent: Buffer.from('00-trace-span-01'),
          'x-tenant-id': Buffer.from('t'),
        };
        const added: Record<string, Buffer> = {};
        for (const [name, value] of Object.entries(mine))
          if (!(name in existing)) added[name] = value;
        return added;
      },
    };
    const event = new OrderCreated('o-1', 1, 'acme');
    const plain = builder.fromEvent(event, accessor.get(OrderCreated), {});
    const traced = builder.fromEvent(event, accessor.get(OrderCreated), {}, trace);
    if (plain instanceof Promise || traced instanceof Promise) throw new Error('synchronous');
    expect(traced.headers.traceparent.toString()).toBe('00-trace-span-01');
    expect(traced.headers['x-tenant-id'].toString()).toBe('acme');
    // the size counts a header's name and value bytes (record-size.ts)
    expect(traced.size - plain.size).toBe('traceparent'.length + 16);
  });

  it('uses the serializers a class names, and refuses input they cannot take', () => {
    expect(build(new Count(5, 7)).key!.toString('hex')).toBe('00000005');
    expect(build(new Count(5, 7)).value!.toString('hex')).toBe('00000007');
    expect(() => build(new Count('5', 7))).toThrow(SerializationError);
  });

  it('rejects invalid topics, partitions and records over maxRequestSize', () => {
    expect(() => build(new OrderCreated('o', 1), { topic: 'bad topic!' })).toThrow(
      InvalidTopicError,
    );
    expect(() => build(new OrderCreated('o', 1), { topic: '..' })).toThrow(InvalidTopicError);
    expect(() => build(new OrderCreated('o', 1), { topic: 'x'.repeat(250) })).toThrow(
      InvalidTopicError,
    );
    expect(() => build(new OrderCreated('o', 1), { partition: -1 })).toThrow(InvalidPartitionError);
    expect(() => build(new OrderCreated('o'.repeat(200), 1))).toThrow(RecordTooLargeError);
  });

  it('raw records: strings as UTF-8, Buffers as they are, an event id unless given', () => {
    const r = builder.fromRaw('raw', { key: 'k', value: Buffer.from([1, 2]) });
    expect(r.key).toEqual(Buffer.from('k'));
    expect(r.value).toEqual(Buffer.from([1, 2]));
    expect(r.headers['x-event-id'].toString()).toBe(r.eventId);
    const given = builder.fromRaw('raw', { value: 'v', headers: { 'x-event-id': 'abc' } });
    expect(given.eventId).toBe('abc');
    expect(() => builder.fromRaw('raw', { value: 5 as unknown as string })).not.toThrow();
    expect(() => builder.fromRaw('raw', { value: {} as unknown as string })).toThrow(
      SerializationError,
    );
  });
});
