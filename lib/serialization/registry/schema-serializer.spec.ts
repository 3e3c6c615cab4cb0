import 'reflect-metadata';
import { KafkaEvent } from '../../decorators/kafka-event.decorator.js';
import { KeyedBy } from '../../decorators/keyed-by.decorator.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { SchemaMismatchError } from '../../errors/schema-mismatch.error.js';
import { SchemaRegistryError } from '../../errors/schema-registry.error.js';
import { EventMetadataAccessor } from '../../metadata/event-metadata.accessor.js';
import { RecordBuilder } from '../../record/record-builder.js';
import { RegistryStub } from '../../../test/support/registry-stub.js';
import { resolveSerializer } from '../serializer-registry.js';
import { SchemaRegistryClient } from './schema-registry.client.js';
import type { SchemaSerializer } from './schema-serializer.js';
import { avro, jsonSchema, protobuf } from './schema-serializers.js';

const ORDER = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'quantity', type: 'int' },
  ],
};
const value = (topic: string) => ({ topic, part: 'value' as const });

describe('schema registry serializers', () => {
  let stub: RegistryStub;
  let registry: SchemaRegistryClient;
  beforeEach(async () => {
    stub = await new RegistryStub().start();
    registry = new SchemaRegistryClient({ url: stub.url, retryBackoffMs: 1 });
  });
  afterEach(() => stub.stop());

  const bound = (s: SchemaSerializer) => s.withRegistry(registry) as SchemaSerializer;

  it('registers once for concurrent first sends, then writes synchronously: 0, the id, the Avro binary', async () => {
    const s = bound(avro(ORDER));
    const first = [
      s.prepare(value('orders')),
      s.prepare(value('orders')),
      s.prepare(value('orders')),
    ];
    expect(first.every((p) => p instanceof Promise)).toBe(true);
    await Promise.all(first as Promise<void>[]);
    expect(stub.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /subjects/orders-value/versions',
    ]);
    expect(s.prepare(value('orders'))).toBeUndefined();
    const bytes = s.serialize({ orderId: 'o', quantity: 1 }, value('orders'))!;
    expect(bytes.toString('hex')).toBe('0000000001' + '026f' + '02');
    expect(s.serialize(null, value('orders'))).toBeNull();
  });

  it('does not cache a failure: the next send asks the registry again', async () => {
    stub.failures.push(500, 500, 500, 500);
    const s = bound(avro(ORDER));
    await expect(s.prepare(value('orders'))).rejects.toThrow(SchemaRegistryError);
    await s.prepare(value('orders'));
    expect(s.serialize({ orderId: 'o', quantity: 1 }, value('orders'))![4]).toBe(1);
  });

  it('one binding per registry, each with its own ids; an explicit registry wins', async () => {
    const s = avro(ORDER);
    expect(s.withRegistry(registry)).toBe(s.withRegistry(registry));
    const other = new SchemaRegistryClient({ url: stub.url });
    expect(s.withRegistry(other)).not.toBe(s.withRegistry(registry));
    const own = avro(ORDER, { registry: { url: stub.url } });
    expect(own.withRegistry(registry)).toBe(own);
  });

  it('without any registry, the first send is a ConfigurationError that says how to set one', async () => {
    await expect(avro(ORDER).prepare(value('t'))).rejects.toThrow(ConfigurationError);
    await expect(avro(ORDER).prepare(value('t'))).rejects.toThrow(
      /set schemaRegistry in KafkaProducerModule.forRoot/,
    );
    expect(() => avro(ORDER).serialize({}, value('t'))).toThrow(/no schema id for topic t yet/);
  });

  it('autoRegister false: looks the schema up, and an unknown subject says to register it', async () => {
    const s = bound(avro(ORDER, { autoRegister: false }));
    const error = await s.prepare(value('orders'))!.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SchemaRegistryError);
    expect(error).toMatchObject({
      retriable: false,
      status: 404,
      errorCode: 40401,
      subject: 'orders-value',
    });
    expect((error as Error).message).toMatch(
      /subject orders-value is not in the schema registry and autoRegister is false/,
    );
    const id = await registry.register('orders-value', { schema: JSON.stringify(ORDER) });
    await s.prepare(value('orders'));
    expect(s.serialize({ orderId: 'o', quantity: 1 }, value('orders'))!.readInt32BE(1)).toBe(id);
    expect(stub.requests.at(-1)).toMatchObject({ method: 'POST', path: '/subjects/orders-value' });
  });

  it('useLatestVersion writes with the registered schema, and refuses one of another type', async () => {
    const v2 = {
      ...ORDER,
      fields: [...ORDER.fields, { name: 'note', type: 'string', default: '' }],
    };
    await registry.register('orders-value', { schema: JSON.stringify(ORDER) });
    const id2 = await registry.register('orders-value', { schema: JSON.stringify(v2) });
    const s = bound(avro({ useLatestVersion: true }));
    await s.prepare(value('orders'));
    const bytes = s.serialize({ orderId: 'o', quantity: 1, note: 'n' }, value('orders'))!;
    expect(bytes.readInt32BE(1)).toBe(id2);
    expect(bytes.subarray(5).toString('hex')).toBe('026f' + '02' + '026e');
    const p = bound(protobuf({ useLatestVersion: true }));
    await expect(p.prepare(value('orders'))).rejects.toThrow(
      /the latest schema of subject orders-value is AVRO, not PROTOBUF/,
    );
  });

  it('names subjects by strategy: RecordName shares one subject across topics', async () => {
    const s = bound(avro(ORDER, { subjectNameStrategy: 'RecordName' }));
    await s.prepare(value('a'));
    await s.prepare(value('b'));
    const t = bound(avro(ORDER, { subjectNameStrategy: 'TopicRecordName' }));
    await t.prepare({ topic: 'a', part: 'key' });
    expect(stub.requests.map((r) => r.path)).toEqual([
      '/subjects/shop.Order/versions',
      '/subjects/a-shop.Order/versions',
    ]);
  });

  it('header mode: the id bytes go in __value_schema_id / __key_schema_id, the payload is the message', async () => {
    const proto =
      'syntax = "proto3"; package p; message A { string a = 1; } message B { int32 b = 1; }';
    const s = bound(protobuf(proto, { messageType: 'B', schemaIdLocation: 'header' }));
    await s.prepare(value('t'));
    await s.prepare({ topic: 't', part: 'key' });
    const headers: Record<string, Buffer> = {};
    const bytes = s.serialize({ b: 150 }, { ...value('t'), headers })!;
    expect(bytes.toString('hex')).toBe('089601');
    expect(headers.__value_schema_id.toString('hex')).toBe('0000000001' + '0202');
    s.serialize({ b: 1 }, { topic: 't', part: 'key', headers });
    expect(Object.keys(headers)).toEqual(['__value_schema_id', '__key_schema_id']);
    const inPayload = bound(protobuf(proto, { messageType: 'B' }));
    await inPayload.prepare(value('t'));
    expect(inPayload.serialize({ b: 150 }, value('t'))!.toString('hex')).toBe(
      '0000000001' + '0202' + '089601',
    );
  });

  it('a mismatch is a SchemaMismatchError naming each field, and headers are refused', async () => {
    const s = bound(
      jsonSchema({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }),
    );
    await s.prepare(value('t'));
    let error: unknown;
    try {
      s.serialize({ n: 'x' }, value('t'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect((error as SchemaMismatchError).violations).toEqual([
      { path: 'n', reason: 'must be integer' },
    ]);
    expect((error as Error).message).toBe(
      'the jsonSchema serializer cannot serialize the value: it does not match the schema: n: must be integer',
    );
    await expect(s.prepare({ topic: 't', part: 'header x' })).rejects.toThrow(
      /writes keys and values only, not the header x/,
    );
  });

  it('needs a schema unless useLatestVersion', () => {
    expect(() => protobuf(undefined as unknown as string)).toThrow(
      /needs a schema, or \{ useLatestVersion: true \}/,
    );
  });

  describe('in the RecordBuilder', () => {
    @KafkaEvent('orders.avro', { serializer: avro(ORDER), keySerializer: avro('string') })
    @KeyedBy('orderId')
    class OrderPlaced {
      constructor(
        public orderId: string,
        public quantity: number,
      ) {}
    }

    it('waits for the schema ids the first time, then builds synchronously', async () => {
      const builder = new RecordBuilder(
        resolveSerializer('json'),
        resolveSerializer('string'),
        1e6,
        registry,
      );
      const descriptor = new EventMetadataAccessor().get(OrderPlaced);
      const first = builder.fromEvent(new OrderPlaced('o-1', 2), descriptor);
      expect(first).toBeInstanceOf(Promise);
      const record = await first;
      const paths = stub.requests.map((r) => r.path).sort();
      expect(paths).toEqual([
        '/subjects/orders.avro-key/versions',
        '/subjects/orders.avro-value/versions',
      ]);
      const second = builder.fromEvent(new OrderPlaced('o-2', 3), descriptor);
      expect(second).not.toBeInstanceOf(Promise);
      expect(stub.requests).toHaveLength(2);
      const keyId = (await registry.lookup('orders.avro-key', { schema: '"string"' })).id;
      const valueId = (
        await registry.lookup('orders.avro-value', { schema: JSON.stringify(ORDER) })
      ).id;
      expect(record.key!.toString('hex')).toBe(`00${keyId.toString(16).padStart(8, '0')}066f2d31`);
      expect(record.value!.toString('hex')).toBe(
        `00${valueId.toString(16).padStart(8, '0')}066f2d3104`,
      );
    });
  });
});
