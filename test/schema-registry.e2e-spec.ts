import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigurationError,
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  ProducerService,
  SchemaMismatchError,
  SchemaRegistryClient,
  SchemaRegistryError,
  SerializationError,
  avro,
  getProducerToken,
  jsonSchema,
  protobuf,
} from '../lib/index.js';
import { readWithJava } from '../tools/registry/wire-reader.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic, topicRecordCount } from './support/read-topic.js';
import { schemaById, subjectVersions, testRegistryUrl } from './support/registry-env.js';

const require = createRequire(import.meta.url);
const avsc = require('avsc') as {
  Type: { forSchema(s: unknown): { fromBuffer(b: Buffer): unknown } };
};
const pbjs = require('protobufjs') as {
  parse(s: string): {
    root: { lookupType(n: string): { decode(b: Buffer): { toJSON(): unknown } } };
  };
};

/** Unique per run: subjects are named after topics (and records), and a registry may be reused. */
const run = Date.now().toString(36);
const topic = {
  avro: uniqueTopic('sr-avro'),
  proto: uniqueTopic('sr-proto'),
  json: uniqueTopic('sr-json'),
  header: uniqueTopic('sr-header'),
  evolve: uniqueTopic('sr-evolve'),
  bad: uniqueTopic('sr-bad'),
  latest: uniqueTopic('sr-latest'),
  named: uniqueTopic('sr-named'),
};

const ORDER_V1 = {
  type: 'record',
  name: 'Order',
  namespace: `shop.e2e${run}`,
  fields: [
    { name: 'orderId', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'price', type: 'double' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
/** v2: a new optional field with a default, which BACKWARD compatibility accepts. */
const ORDER_V2 = {
  ...ORDER_V1,
  fields: [...ORDER_V1.fields, { name: 'channel', type: 'string', default: 'web' }],
};
/** v3: quantity becomes a string, which BACKWARD compatibility refuses. */
const ORDER_V3 = {
  ...ORDER_V1,
  fields: ORDER_V1.fields.map((f) =>
    f.name === 'quantity' ? { name: 'quantity', type: 'string' } : f,
  ),
};

const PROTO = `syntax = "proto3";
package shop.e2e${run};

message Shipment {
  string order_id = 1;
  int32 parcels = 2;
  repeated Item items = 3;
  Carrier carrier = 4;
  int64 weight_grams = 5;
  message Item { string sku = 1; uint32 count = 2; }
}

enum Carrier { POST = 0; COURIER = 1; }

message Refund {
  string order_id = 1;
  double amount = 2;
}
`;

const CUSTOMER_JSON = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Customer',
  type: 'object',
  properties: {
    id: { type: 'string' },
    age: { type: 'integer', minimum: 0 },
    email: { type: 'string' },
  },
  required: ['id', 'age'],
};

class Order {
  constructor(
    public orderId: string,
    public quantity: unknown,
    public price: number,
    public tags: string[],
    public note: string | null = null,
  ) {}
}

@KafkaEvent(topic.avro, { serializer: avro(ORDER_V1) })
@KeyedBy('orderId')
class OrderAvro extends Order {}

@KafkaEvent(topic.header, { serializer: avro(ORDER_V1, { schemaIdLocation: 'header' }) })
@KeyedBy('orderId')
class OrderInHeader extends Order {}

@KafkaEvent(topic.evolve, { serializer: avro(ORDER_V1) })
class OrderV1 extends Order {}

@KafkaEvent(topic.evolve, { serializer: avro(ORDER_V2) })
class OrderV2 extends Order {
  channel = 'app';
}

@KafkaEvent(topic.evolve, { serializer: avro(ORDER_V3) })
class OrderV3 extends Order {}

@KafkaEvent(topic.proto, { serializer: protobuf(PROTO) })
@KeyedBy('orderId')
class Shipment {
  constructor(
    public orderId: string,
    public parcels: number,
    public items: { sku: string; count: number }[],
    public carrier: 'POST' | 'COURIER',
    public weightGrams: bigint,
  ) {}
}

@KafkaEvent(topic.proto, { serializer: protobuf(PROTO, { messageType: 'Refund' }) })
@KeyedBy('orderId')
class Refund {
  constructor(
    public orderId: string,
    public amount: number,
  ) {}
}

@KafkaEvent(topic.proto, { serializer: protobuf(PROTO, { messageType: 'Shipment.Item' }) })
class ShipmentItem {
  constructor(
    public sku: string,
    public count: number,
  ) {}
}

@KafkaEvent(topic.json, { serializer: jsonSchema(CUSTOMER_JSON) })
@KeyedBy('id')
class Customer {
  constructor(
    public id: string,
    public age: unknown,
    public email?: string,
  ) {}
}

@KafkaEvent(topic.bad, { serializer: avro(ORDER_V1, { autoRegister: false }) })
class Unregistered extends Order {}

@KafkaEvent(topic.bad, { serializer: protobuf(PROTO, { messageType: 'Parcel' }) })
class NoSuchType {
  id = 'x';
}

@KafkaEvent(topic.named, { serializer: avro(ORDER_V1, { subjectNameStrategy: 'RecordName' }) })
class ByRecordName extends Order {}

@KafkaEvent(topic.latest, { serializer: avro({ useLatestVersion: true }) })
class Latest extends Order {
  channel = 'batch';
}

/** A port nothing listens on: a registry that is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('the send succeeded');
    },
    (error: Error) => error,
  );
}

describe('schema registry serializers against Apicurio Registry and a real broker', () => {
  const brokers = testBrokers();
  const url = testRegistryUrl();
  const registry = new SchemaRegistryClient({ url });
  let app: INestApplicationContext;
  let producer: ProducerService;
  let down: ProducerService;

  beforeAll(async () => {
    for (const t of Object.values(topic)) await createTopic(brokers, t, 2);
    const downUrl = `http://127.0.0.1:${await closedPort()}/apis/ccompat/v7`;
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-sr' },
          validation: false,
          schemaRegistry: { url },
        }),
        KafkaProducerModule.forRoot({
          name: 'registry-down',
          client: { brokers, clientId: 'e2e-sr-down' },
          validation: false,
          schemaRegistry: { url: downUrl, retries: 1, retryBackoffMs: 10 },
        }),
      ],
    }).compile();
    app = await moduleRef.init();
    producer = app.get(ProducerService);
    down = app.get(getProducerToken('registry-down'));
  });

  afterAll(async () => {
    await app?.close();
    registry.close();
  });

  const avroOrders = [
    new OrderAvro('o-1', 1, 9.5, ['a'], 'gift'),
    new OrderAvro('o-2', 2, 19.25, [], null),
    new OrderAvro('o-3', 3, 0.1, ['b', 'c']),
  ];
  const shipments = [
    new Shipment('o-1', 2, [{ sku: 'desk', count: 1 }], 'COURIER', 12_000_000_000n),
    new Shipment('o-2', 1, [], 'POST', 5n),
  ];
  const refund = new Refund('o-1', 9.5);
  const item = new ShipmentItem('lamp', 4);
  const customers = [new Customer('c-1', 42, 'ann@example.com'), new Customer('c-2', 7)];
  const inHeader = new OrderInHeader('o-9', 9, 1.5, ['h']);

  const plain = (o: Order) => ({
    orderId: o.orderId,
    quantity: o.quantity,
    price: o.price,
    tags: o.tags,
    note: o.note,
  });

  it('writes the Confluent wire format that an independent reader decodes by the registry’s schema', async () => {
    // Concurrent first sends of a class: one registration, every record gets the same id.
    await Promise.all(avroOrders.map((o) => producer.send(o)));
    await producer.sendMany([...shipments, refund, item]);
    await Promise.all(customers.map((c) => producer.send(c)));
    await producer.send(inHeader);

    const avroId = (
      await registry.lookup(`${topic.avro}-value`, { schema: JSON.stringify(ORDER_V1) })
    ).id;
    expect(await subjectVersions(url, `${topic.avro}-value`)).toEqual([1]);
    const records = await readTopic(brokers, topic.avro, 3);
    for (const r of records) {
      expect(r.value![0]).toBe(0);
      expect(r.value!.readInt32BE(1)).toBe(avroId);
      const writer = await schemaById(url, r.value!.readInt32BE(1));
      const decoded = avsc.Type.forSchema(JSON.parse(writer.schema)).fromBuffer(
        r.value!.subarray(5),
      );
      expect(decoded).toEqual(plain(avroOrders.find((o) => o.orderId === r.key!.toString())!));
    }

    const protoRecords = await readTopic(brokers, topic.proto, 4);
    // After magic and id: the message indexes. [0] is one 0 byte; [1] a count of 1 and 1
    // (zigzag: 02 02); [0, 0] a count of 2 and two zeros (04 00 00).
    const indexBytes = protoRecords.map((r) => {
      const v = r.value!;
      return v.subarray(5, v[5] === 0 ? 6 : 6 + v[5] / 2).toString('hex');
    });
    expect(indexBytes.sort()).toEqual(['00', '00', '0202', '040000']);
    const first = protoRecords.find((r) => r.key?.toString() === 'o-2')!;
    expect(first.value!.subarray(0, 6).toString('hex')).toBe(
      `00${first.value!.subarray(1, 5).toString('hex')}00`,
    );
    const proto = await schemaById(url, first.value!.readInt32BE(1));
    expect(proto.schemaType).toBe('PROTOBUF');
    expect(
      pbjs
        .parse(proto.schema)
        .root.lookupType(`shop.e2e${run}.Shipment`)
        .decode(first.value!.subarray(6))
        .toJSON(),
    ).toEqual({
      // proto3 leaves out default values (carrier POST is 0)
      orderId: 'o-2',
      parcels: 1,
      weightGrams: '5',
    });

    const [json] = (await readTopic(brokers, topic.json, 2)).filter(
      (r) => r.key?.toString() === 'c-1',
    );
    expect(json.value![0]).toBe(0);
    expect((await schemaById(url, json.value!.readInt32BE(1))).schemaType).toBe('JSON');
    expect(JSON.parse(json.value!.subarray(5).toString())).toEqual({
      id: 'c-1',
      age: 42,
      email: 'ann@example.com',
    });

    const [header] = await readTopic(brokers, topic.header, 1);
    expect(header.headers.__value_schema_id.toString('hex')).toBe(
      `00${avroIdHex(await registry.lookup(`${topic.header}-value`, { schema: JSON.stringify(ORDER_V1) }))}`,
    );
    expect(avsc.Type.forSchema(ORDER_V1).fromBuffer(header.value!)).toEqual(plain(inHeader));

    // The same records through Apache Avro and protobuf-java (and Jackson for JSON), in Java.
    const read = await readWithJava({
      bootstrap: brokers.join(','),
      topics: [topic.avro, topic.proto, topic.json, topic.header],
      count: 3 + 4 + 2 + 1,
      registryUrl: url,
    });
    const values = (t: string) => read.filter((r) => r.topic === t);
    expect(
      values(topic.avro)
        .map((r) => r.value)
        .sort(byOrderId),
    ).toEqual(avroOrders.map(plain));
    expect(values(topic.avro).every((r) => r.schemaId === avroId && r.schemaType === 'AVRO')).toBe(
      true,
    );
    const javaProto = values(topic.proto);
    const rows = (list: unknown[][]) => list.map((row) => JSON.stringify(row)).sort();
    expect(rows(javaProto.map((r) => [r.messageType, r.messageIndexes, r.value]))).toEqual(
      rows([
        [`shop.e2e${run}.Refund`, [1], { orderId: 'o-1', amount: 9.5 }],
        [
          `shop.e2e${run}.Shipment`,
          [0],
          {
            orderId: 'o-1',
            parcels: 2,
            items: [{ sku: 'desk', count: 1 }],
            carrier: 'COURIER',
            weightGrams: '12000000000',
          },
        ],
        [`shop.e2e${run}.Shipment`, [0], { orderId: 'o-2', parcels: 1, weightGrams: '5' }],
        [`shop.e2e${run}.Shipment.Item`, [0, 0], { sku: 'lamp', count: 4 }],
      ]),
    );
    expect(
      values(topic.json)
        .map((r) => r.value)
        .sort(byId),
    ).toEqual([
      { id: 'c-1', age: 42, email: 'ann@example.com' },
      { id: 'c-2', age: 7 },
    ]);
    expect(values(topic.header)).toEqual([
      expect.objectContaining({ idInHeader: true, value: plain(inHeader) }),
    ]);
  });

  it('evolution: a v2 with a new optional field registers under BACKWARD and v1 readers still read; an incompatible v3 is refused and nothing is sent', async () => {
    await registry.setCompatibility('BACKWARD', `${topic.evolve}-value`);
    await producer.send(new OrderV1('e-1', 1, 1, []));
    const v2 = await producer.send(new OrderV2('e-2', 2, 2, ['x']));
    const [id1, id2] = await Promise.all(
      [ORDER_V1, ORDER_V2].map(
        async (s) =>
          (await registry.lookup(`${topic.evolve}-value`, { schema: JSON.stringify(s) })).id,
      ),
    );
    expect(id2).not.toBe(id1);
    expect(await subjectVersions(url, `${topic.evolve}-value`)).toEqual([1, 2]);

    const error = await rejection(producer.send(new OrderV3('e-3', 'three', 3, [])));
    expect(error).toBeInstanceOf(SchemaRegistryError);
    expect(error).toMatchObject({
      status: 409,
      retriable: false,
      subject: `${topic.evolve}-value`,
    });
    expect((error as SchemaRegistryError).registryMessage).toMatch(/Incompatible/);
    expect(error.message).toContain((error as SchemaRegistryError).registryMessage);
    expect(await topicRecordCount(brokers, topic.evolve)).toBe(2);

    // An old consumer: Apache Avro with v1 as its reader schema, each record's own writer schema.
    const dir = mkdtempSync(join(tmpdir(), 'sr-evolve-'));
    try {
      writeFileSync(join(dir, 'v1.avsc'), JSON.stringify(ORDER_V1));
      const read = await readWithJava({
        bootstrap: brokers.join(','),
        topics: [topic.evolve],
        count: 2,
        registryUrl: url,
        readerSchemaFile: join(dir, 'v1.avsc'),
      });
      expect(read.map((r) => r.schemaId).sort()).toEqual([id1, id2].sort());
      expect(read.map((r) => r.value).sort(byOrderId)).toEqual([
        { orderId: 'e-1', quantity: 1, price: 1, tags: [], note: null },
        { orderId: 'e-2', quantity: 2, price: 2, tags: ['x'], note: null },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(v2.topic).toBe(topic.evolve);
  });

  it('useLatestVersion writes with the subject’s latest schema and id', async () => {
    await registry.register(`${topic.latest}-value`, { schema: JSON.stringify(ORDER_V1) });
    const latestId = await registry.register(`${topic.latest}-value`, {
      schema: JSON.stringify(ORDER_V2),
    });
    await producer.send(new Latest('l-1', 1, 1, []));
    const [r] = await readTopic(brokers, topic.latest, 1);
    expect(r.value!.readInt32BE(1)).toBe(latestId);
    expect(avsc.Type.forSchema(ORDER_V2).fromBuffer(r.value!.subarray(5))).toMatchObject({
      orderId: 'l-1',
      channel: 'batch',
    });
  });

  it('RecordName names the subject after the record', async () => {
    await producer.send(new ByRecordName('r-1', 1, 1, []));
    expect(await subjectVersions(url, `shop.e2e${run}.Order`)).toEqual([1]);
  });

  it('bad input is a typed error and nothing is sent', async () => {
    const downError = await rejection(down.send(new OrderAvro('d-1', 1, 1, [])));
    expect(downError).toBeInstanceOf(SchemaRegistryError);
    expect(downError).toMatchObject({ retriable: true, status: undefined });
    expect(downError.message).toMatch(
      /the schema registry did not answer POST http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7\/subjects\/.*\(2 attempts\): .*ECONNREFUSED/,
    );

    const unknown = await rejection(producer.send(new Unregistered('u-1', 1, 1, [])));
    expect(unknown).toBeInstanceOf(SchemaRegistryError);
    expect(unknown).toMatchObject({ status: 404, errorCode: 40401, retriable: false });
    expect(unknown.message).toMatch(
      new RegExp(
        `subject ${topic.bad}-value is not in the schema registry and autoRegister is false`,
      ),
    );

    const mismatch = await rejection(
      producer.send(new OrderAvro('m-1', 'many', Number.NaN, ['a', 5 as unknown as string])),
    );
    expect(mismatch).toBeInstanceOf(SchemaMismatchError);
    expect(mismatch).toBeInstanceOf(SerializationError);
    expect((mismatch as SchemaMismatchError).violations).toEqual([
      { path: 'quantity', reason: 'expected int, got a string "many"' },
      { path: 'tags[1]', reason: 'expected string, got number 5' },
    ]);
    const jsonMismatch = await rejection(producer.send(new Customer('c-9', -1)));
    expect((jsonMismatch as SchemaMismatchError).violations).toEqual([
      { path: 'age', reason: 'must be >= 0' },
    ]);

    const noType = await rejection(producer.send(new NoSuchType()));
    expect(noType).toBeInstanceOf(ConfigurationError);
    expect(noType.message).toMatch(
      /protobuf message type "Parcel" is not in the schema; it has .*Shipment, .*Refund/,
    );

    expect(await topicRecordCount(brokers, topic.bad)).toBe(0);
    expect(await topicRecordCount(brokers, topic.avro)).toBe(3);
    expect(await topicRecordCount(brokers, topic.json)).toBe(2);
  });
});

function avroIdHex(registered: { id: number }): string {
  return registered.id.toString(16).padStart(8, '0');
}
function byOrderId(a: unknown, b: unknown): number {
  return String((a as { orderId: string }).orderId).localeCompare(
    (b as { orderId: string }).orderId,
  );
}
function byId(a: unknown, b: unknown): number {
  return String((a as { id: string }).id).localeCompare((b as { id: string }).id);
}
