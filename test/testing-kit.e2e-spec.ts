import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { ClientsModule, Transport, type ClientKafka } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { lastValueFrom } from 'rxjs';
import {
  EVENT_ID_HEADER,
  KafkaProducerModule,
  ProducerService,
  ValidationError,
} from '../lib/index.js';
import type { KafkaProducerClientProxy } from '../lib/client-proxy.js';
import { KafkaProducerTestingModule, ProducerRecorder, startLocalKafka } from '../lib/testing.js';
import { OrderPlaced } from './support/events.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic, topicRecordCount, type ReadRecord } from './support/read-topic.js';

const PARTITIONS = 6;

async function kit(partitions: Record<string, number>) {
  const app = await Test.createTestingModule({
    imports: [KafkaProducerTestingModule.forRoot({ partitions })],
  }).compile();
  await app.init();
  return { app, producer: app.get(ProducerService), recorder: app.get(ProducerRecorder) };
}

async function production(brokers: string[]) {
  const app = await Test.createTestingModule({
    imports: [KafkaProducerModule.forRoot({ client: { clientId: 'kit-parity', brokers } })],
  }).compile();
  await app.init();
  return { app, producer: app.get(ProducerService) };
}

const headersBut = (headers: Record<string, Buffer>, skip: string) =>
  Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => name !== skip)
      .map(([name, value]) => [name, value.toString('utf8')]),
  );

describe('the testing kit against the real broker', () => {
  const brokers = testBrokers();
  const apps: INestApplicationContext[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('a DTO that fails validation in the kit fails in production, with the same error', async () => {
    const topic = uniqueTopic('kit-invalid');
    await createTopic(brokers, topic, 1);
    const bad = () => OrderPlaced.of('order-1', 0, 'acme');
    const inKit = await kit({});
    const inProd = await production(brokers);
    apps.push(inKit.app, inProd.app);
    const kitError = await inKit.producer.send(bad(), { topic }).catch((e: unknown) => e);
    const prodError = await inProd.producer.send(bad(), { topic }).catch((e: unknown) => e);
    expect(kitError).toBeInstanceOf(ValidationError);
    expect(prodError).toBeInstanceOf(ValidationError);
    expect((prodError as Error).message).toBe((kitError as Error).message);
    // A good one goes through both, so the topic is readable; the bad one is on neither.
    const good = OrderPlaced.of('order-1', 1, 'acme');
    await inKit.producer.send(good, { topic });
    await inProd.producer.send(good, { topic });
    expect(inKit.recorder.history(topic)).toHaveLength(1);
    expect(await topicRecordCount(brokers, topic)).toBe(1);
  });

  it("the kit's partitions, keys, values and headers are the broker's", async () => {
    const topic = uniqueTopic('kit-parity');
    await createTopic(brokers, topic, PARTITIONS);
    const events = Array.from({ length: 60 }, (_, i) =>
      OrderPlaced.of(`order-${i}`, i + 1, `t${i % 3}`),
    );
    const inKit = await kit({ [topic]: PARTITIONS });
    const inProd = await production(brokers);
    apps.push(inKit.app, inProd.app);
    await Promise.all(events.map((e) => inKit.producer.send(e, { topic })));
    await Promise.all(events.map((e) => inProd.producer.send(e, { topic })));
    const kitRecords = inKit.recorder.history(topic);
    const broker = await readTopic(brokers, topic, events.length);
    const shape = (r: {
      key: string | null;
      partition: number;
      value: string;
      headers: Record<string, string>;
    }) => `${r.partition} ${r.key} ${r.value} ${JSON.stringify(r.headers)}`;
    const kitShapes = kitRecords.map((r) =>
      shape({
        key: r.key,
        partition: r.partition,
        value: r.raw.value!.toString(),
        headers: headersBut(r.raw.headers, EVENT_ID_HEADER),
      }),
    );
    const brokerShapes = broker.map((r: ReadRecord) =>
      shape({
        key: r.key!.toString(),
        partition: r.partition,
        value: r.value!.toString(),
        headers: headersBut(r.headers, EVENT_ID_HEADER),
      }),
    );
    expect(kitShapes.sort()).toEqual(brokerShapes.sort());
    expect(new Set(broker.map((r) => r.partition)).size).toBeGreaterThan(3);
  });

  it('startLocalKafka starts a broker the module sends to, and stop() ends it', async () => {
    const local = await startLocalKafka();
    try {
      expect(local.brokers).toHaveLength(1);
      expect(local.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
      const topic = uniqueTopic('kit-local');
      const { app, producer } = await production(local.brokers);
      await producer.send(OrderPlaced.of('order-1', 1), { topic });
      await app.close();
      const [read] = await readTopic(local.brokers, topic, 1);
      expect(read.key?.toString()).toBe('order-1');
    } finally {
      await local.stop();
    }
  });
});

describe('KafkaProducerClientProxy against ClientKafka on the real broker', () => {
  const brokers = testBrokers();

  it('the same emit calls write the same keys, values and headers', async () => {
    const theirs = uniqueTopic('proxy-clientkafka');
    const ours = uniqueTopic('proxy-ours');
    await Promise.all([createTopic(brokers, theirs, 3), createTopic(brokers, ours, 3)]);
    const app = await Test.createTestingModule({
      imports: [
        ClientsModule.register([
          {
            name: 'THEIRS',
            transport: Transport.KAFKA,
            options: { client: { clientId: 'proxy-theirs', brokers }, producerOnlyMode: true },
          },
        ]),
        KafkaProducerModule.forRoot({
          client: { clientId: 'proxy-ours', brokers },
          clientProxy: 'OURS',
        }),
      ],
    }).compile();
    await app.init();
    const real = app.get<ClientKafka>('THEIRS');
    const proxy = app.get<KafkaProducerClientProxy>('OURS');
    await real.connect();
    // Fresh objects per client: Nest's serializer encodes a message object in place.
    const calls = (): unknown[] => [
      { orderId: 'o-1', quantity: 2 },
      'plain text',
      42,
      [1, 'two', { three: 3 }],
      { key: 'k-1', value: { a: 1 } },
      { key: 'k-2', value: 'v', headers: { 'x-tenant': 'acme', trace: Buffer.from('t-1') } },
      { key: { id: 7 }, value: ['x'], partition: 2 },
      { value: null, key: 'tombstone' },
      Buffer.from([0, 1, 2, 255]),
      { key: 'k-3', value: Buffer.from('bytes'), headers: { empty: '' } },
    ];
    for (const data of calls()) await lastValueFrom(real.emit(theirs, data));
    for (const data of calls()) await lastValueFrom(proxy.emit(ours, data));
    const count = calls().length;
    const [a, b] = await Promise.all([
      readTopic(brokers, theirs, count),
      readTopic(brokers, ours, count),
    ]);
    const shape = (r: ReadRecord) =>
      JSON.stringify({
        key: r.key?.toString('hex') ?? null,
        value: r.value?.toString('hex') ?? null,
        headers: headersBut(r.headers, EVENT_ID_HEADER),
        partition: r.key ? r.partition : undefined,
      });
    expect(b.map(shape).sort()).toEqual(a.map(shape).sort());
    expect(b.every((r) => r.headers[EVENT_ID_HEADER]?.length)).toBe(true);
    await real.close();
    await app.close();
  });
});
