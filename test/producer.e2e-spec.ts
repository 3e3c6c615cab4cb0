import 'reflect-metadata';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InjectProducer,
  KafkaProducerModule,
  partitionForKey,
  ProducerService,
  type DeliveryReport,
} from '../lib/index.js';
import { FireAndForget, LeaderAcked, OrderPlaced, topics } from './support/events.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic, type ReadRecord } from './support/read-topic.js';

@Injectable()
class Producers {
  constructor(
    readonly main: ProducerService,
    @InjectProducer('audit') readonly audit: ProducerService,
  ) {}
}

const PARTITIONS = 4;

function byOffset(records: ReadRecord[]): Map<string, ReadRecord> {
  return new Map(records.map((r) => [`${r.topic}/${r.partition}/${r.offset}`, r]));
}

function located(records: Map<string, ReadRecord>, report: DeliveryReport): ReadRecord {
  const record = records.get(`${report.topic}/${report.partition}/${report.offset}`);
  if (!record) throw new Error(`no record at ${report.topic}/${report.partition}/${report.offset}`);
  return record;
}

describe('ProducerService against a real broker', () => {
  const brokers = testBrokers();
  let app: INestApplicationContext;
  let producers: Producers;

  beforeAll(async () => {
    await createTopic(brokers, topics.orders, PARTITIONS);
    await createTopic(brokers, topics.leader, PARTITIONS);
    await createTopic(brokers, topics.fire, PARTITIONS);
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({ client: { brokers, clientId: 'e2e' } }),
        KafkaProducerModule.forRoot({
          name: 'audit',
          client: { brokers, clientId: 'e2e-audit' },
          reliability: 'leader',
        }),
      ],
      providers: [Producers],
    }).compile();
    app = await moduleRef.init();
    producers = app.get(Producers);
  });

  afterAll(() => app.close());

  it('send() (acks all, idempotent) reports the offset, partition and id the broker stored', async () => {
    const reports: DeliveryReport[] = [];
    for (let i = 0; i < 20; i++) {
      reports.push(
        await producers.main.send(OrderPlaced.of(`order-${i}`, i + 1, `tenant-${i % 3}`)),
      );
    }
    const stored = byOffset(await readTopic(brokers, topics.orders, 20));
    reports.forEach((report, i) => {
      const record = located(stored, report);
      expect(report.topic).toBe(topics.orders);
      expect(report.key).toBe(`order-${i}`);
      expect(record.key).toEqual(Buffer.from(`order-${i}`));
      expect(record.value!.toString()).toBe(
        JSON.stringify({ orderId: `order-${i}`, quantity: i + 1, tenantId: `tenant-${i % 3}` }),
      );
      expect(record.headers['x-tenant-id'].toString()).toBe(`tenant-${i % 3}`);
      expect(record.headers['x-event-id'].toString()).toBe(report.eventId);
      expect(report.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
      expect(record.timestamp).toBe(report.timestamp);
      // Java's murmur2 partition for the key (parity with Java itself: java-parity.e2e-spec)
      expect(report.partition).toBe(partitionForKey(Buffer.from(`order-${i}`), PARTITIONS));
    });
    expect(new Set(reports.map((r) => r.eventId)).size).toBe(20);
  });

  it('acks 1 (leader) through an event class and through a named producer', async () => {
    const reports = [
      await producers.main.send(LeaderAcked.of('a')),
      await producers.audit.send(LeaderAcked.of('b')),
      await producers.audit.send(OrderPlaced.of('c'), { topic: topics.leader }),
    ];
    const stored = byOffset(await readTopic(brokers, topics.leader, 3));
    expect(reports.map((r) => located(stored, r).key!.toString())).toEqual(['a', 'b', 'c']);
    expect(reports.every((r) => Number(r.offset) >= 0)).toBe(true);
  });

  it('acks 0 (fire-and-forget) resolves without an offset and the records still arrive', async () => {
    const reports = await Promise.all(
      Array.from({ length: 10 }, (_, n) => producers.main.send(FireAndForget.of(n))),
    );
    expect(reports.every((r) => r.offset === '-1' && r.key === null)).toBe(true);
    const stored = await readTopic(brokers, topics.fire, 10);
    expect(stored.map((r) => JSON.parse(r.value!.toString()).n).sort((a, b) => a - b)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(stored.every((r) => r.key === null)).toBe(true);
  });

  it('sendMany() keeps order: reports in the order given, per-key offsets increasing', async () => {
    const topic = uniqueTopic('e2e-many');
    await createTopic(brokers, topic, 3);
    const events = Array.from({ length: 60 }, (_, i) => OrderPlaced.of(`k${i % 5}`, i + 1));
    const reports = await producers.main.sendMany(events, { topic });
    expect(reports.map((r) => r.key)).toEqual(events.map((e) => e.orderId));
    const stored = byOffset(await readTopic(brokers, topic, 60));
    reports.forEach((report, i) =>
      expect(JSON.parse(located(stored, report).value!.toString()).quantity).toBe(i + 1),
    );
    for (let k = 0; k < 5; k++) {
      const offsets = reports.filter((r) => r.key === `k${k}`).map((r) => BigInt(r.offset));
      expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      expect(new Set(reports.filter((r) => r.key === `k${k}`).map((r) => r.partition)).size).toBe(
        1,
      );
    }
  });

  it('per-call overrides: topic, key, partition, headers, serializer and reliability', async () => {
    const topic = uniqueTopic('e2e-override');
    await createTopic(brokers, topic, 3);
    const report = await producers.main.send(OrderPlaced.of('ignored', 2), {
      topic,
      key: 'custom-key',
      partition: 2,
      headers: { 'x-trace': 'abc', 'x-tenant-id': 'override' },
      reliability: 'leader',
    });
    const keyless = await producers.main.send(OrderPlaced.of('k', 3), { topic, key: null });
    const asText = await producers.main.send(OrderPlaced.of('k', 4), {
      topic,
      serializer: {
        name: 'upper',
        serialize: (e: OrderPlaced) => Buffer.from(e.orderId.toUpperCase()),
      },
    });
    const stored = byOffset(await readTopic(brokers, topic, 3));
    const record = located(stored, report);
    expect(report.partition).toBe(2);
    expect(record.key!.toString()).toBe('custom-key');
    expect(record.headers['x-trace'].toString()).toBe('abc');
    expect(record.headers['x-tenant-id'].toString()).toBe('override');
    expect(located(stored, keyless).key).toBeNull();
    expect(located(stored, asText).value!.toString()).toBe('K');
  });

  it('sendRaw() sends strings and Buffers as they are, with an x-event-id', async () => {
    const topic = uniqueTopic('e2e-raw');
    await createTopic(brokers, topic, 2);
    const reports = await producers.main.sendRaw(topic, [
      { key: 'r1', value: 'plain text', headers: { h: Buffer.from([0, 255]) } },
      { key: Buffer.from([1, 2, 3]), value: Buffer.from([9, 8, 7]), partition: 1 },
      { value: null },
    ]);
    const stored = byOffset(await readTopic(brokers, topic, 3));
    const [a, b, c] = reports.map((r) => located(stored, r));
    expect(a.value!.toString()).toBe('plain text');
    expect(a.headers.h).toEqual(Buffer.from([0, 255]));
    expect(b.key).toEqual(Buffer.from([1, 2, 3]));
    expect(b.value).toEqual(Buffer.from([9, 8, 7]));
    expect(reports[1].partition).toBe(1);
    expect(c.value).toBeNull();
    expect(reports.map((r, i) => [a, b, c][i].headers['x-event-id'].toString())).toEqual(
      reports.map((r) => r.eventId),
    );
  });

  it('keyless records stick to one partition per burst (sticky partitioning), not round-robin', async () => {
    const topic = uniqueTopic('e2e-sticky');
    await createTopic(brokers, topic, 4);
    const reports = await producers.main.sendMany(
      Array.from({ length: 20 }, (_, n) => FireAndForget.of(n)),
      { topic, reliability: 'all' },
    );
    // 20 small records are far below batchSize (16 KiB): all on one partition.
    expect(new Set(reports.map((r) => r.partition)).size).toBe(1);
    const stored = await readTopic(brokers, topic, 20);
    expect(new Set(stored.map((r) => r.partition))).toEqual(new Set([reports[0].partition]));
  });

  it('flush() resolves once every accepted record is acked', async () => {
    const topic = uniqueTopic('e2e-flush');
    await createTopic(brokers, topic, 2);
    const settled: string[] = [];
    const sends = Array.from({ length: 50 }, (_, i) =>
      producers.main.send(OrderPlaced.of(`f${i}`), { topic }).then((r) => settled.push(r.offset)),
    );
    await producers.main.flush();
    expect(settled).toHaveLength(50);
    await Promise.all(sends);
    expect(await readTopic(brokers, topic, 50)).toHaveLength(50);
  });
});
