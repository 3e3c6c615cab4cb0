import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IsString } from 'class-validator';
import {
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  MemoryOutboxStore,
  OutboxService,
  ProducerService,
} from '../lib/index.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic } from './support/read-topic.js';

const ordersTopic = uniqueTopic('e2e-metrics-orders');
const auditTopic = uniqueTopic('e2e-metrics-audit');

@KafkaEvent(ordersTopic)
@KeyedBy('id')
class MetricOrder {
  @IsString() id!: string;
  static of(id: string) {
    return Object.assign(new MetricOrder(), { id });
  }
}

@KafkaEvent(auditTopic)
class MetricAudit {
  @IsString() note!: string;
  static of(note: string) {
    return Object.assign(new MetricAudit(), { note });
  }
}

async function boot(imports: Parameters<typeof Test.createTestingModule>[0]['imports']) {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  return moduleRef.init();
}

describe('producer.metrics() against a real broker', () => {
  const brokers = testBrokers();
  let app: INestApplicationContext;

  beforeAll(async () => {
    await createTopic(brokers, ordersTopic, 3);
    await createTopic(brokers, auditTopic, 1);
  });

  afterAll(() => app?.close());

  it('counts what reached the broker, per producer and per topic, under Java’s names', async () => {
    app = await boot([
      KafkaProducerModule.forRoot({
        client: { brokers, clientId: 'e2e-metrics' },
        producer: { compression: 'gzip' },
      }),
    ]);
    const producer = app.get(ProducerService);
    const orders = 40;
    const audits = 25;
    await Promise.all([
      ...Array.from({ length: orders }, (_, i) => producer.send(MetricOrder.of(`o-${i % 7}`))),
      ...Array.from({ length: audits }, (_, i) => producer.send(MetricAudit.of(`a-${i}`))),
    ]);
    // A bad event is an error, and never reaches the broker.
    await expect(producer.send(Object.assign(new MetricOrder(), { id: 5 }))).rejects.toThrow();

    const onBroker = await readTopic(brokers, [ordersTopic, auditTopic], orders + audits, {
      settleMs: 1000,
    });
    const count = (topic: string) => onBroker.filter((r) => r.topic === topic).length;
    const snapshot = await producer.metrics();
    const m = snapshot.metrics;
    expect(snapshot.producer).toBe('default');
    expect(snapshot.clientId).toBe('e2e-metrics');
    expect(onBroker).toHaveLength(orders + audits);
    expect(m['record-send-total']).toBe(onBroker.length);
    expect(m['record-retry-total']).toBe(0);
    expect(m['record-error-total']).toBe(1);
    expect(snapshot.topics[ordersTopic]['record-send-total']).toBe(count(ordersTopic));
    expect(snapshot.topics[auditTopic]['record-send-total']).toBe(count(auditTopic));
    expect(snapshot.topics[ordersTopic]['record-error-total']).toBe(1);
    expect(m['request-total']).toBeGreaterThanOrEqual(1);
    expect(m['records-per-request-avg'] * m['request-total']).toBeCloseTo(orders + audits);
    expect(m['request-latency-avg']).toBeGreaterThan(0);
    expect(m['request-latency-max']).toBeGreaterThanOrEqual(m['request-latency-avg']);
    expect(m['compression-rate-avg']).toBeGreaterThan(0);
    expect(m['compression-rate-avg']).toBeLessThan(1);
    expect(m['record-send-rate']).toBeGreaterThan(0);
    expect(m['buffer-total-bytes']).toBe(32 * 1024 * 1024);
    expect(m['buffer-available-bytes']).toBe(m['buffer-total-bytes']);
    expect(m['waiting-threads']).toBe(0);
    expect(snapshot.outbox).toBeUndefined();
    await app.close();
  });

  it('adds the outbox’s backlog, oldest row’s age and dead rows', async () => {
    app = await boot([
      KafkaProducerModule.forRoot({
        client: { brokers, clientId: 'e2e-metrics-outbox' },
        outbox: { store: new MemoryOutboxStore(), relay: { enabled: false } },
      }),
    ]);
    const producer = app.get(ProducerService);
    await app.get(OutboxService).enqueue([MetricOrder.of('x'), MetricOrder.of('y')]);
    const { outbox } = await producer.metrics();
    expect(outbox!.backlog).toBe(2);
    expect(outbox!['oldest-age-ms']).toBeGreaterThanOrEqual(0);
    expect(outbox!.dead).toBe(0);
    await app.close();
  });
});
