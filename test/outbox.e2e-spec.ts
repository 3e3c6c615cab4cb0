import 'reflect-metadata';
import {
  Body,
  Controller,
  HttpCode,
  Module,
  Post,
  type INestApplication,
  type INestApplicationContext,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  MemoryOutboxStore,
  Outboxed,
  OutboxService,
  ProducerService,
  SqliteOutboxStore,
  type OutboxStore,
} from '../lib/index.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic, topicRecordCount } from './support/read-topic.js';

const ordersTopic = uniqueTopic('e2e-outbox-orders');

@KafkaEvent(ordersTopic)
@KeyedBy('id')
class OrderPlaced {
  id!: string;
  step!: number;
  static of(id: string, step = 0): OrderPlaced {
    return Object.assign(new OrderPlaced(), { id, step });
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function boot(store: OutboxStore, extra: object = {}): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      KafkaProducerModule.forRoot({
        client: { brokers: testBrokers(), clientId: 'e2e-outbox' },
        outbox: { store, relay: { pollIntervalMs: 100, backoffMs: 100, maxAttempts: 3 } },
        ...extra,
      }),
    ],
  }).compile();
  return moduleRef.init();
}

describe('outbox', () => {
  const brokers = testBrokers();
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-e2e-'));
    await createTopic(brokers, ordersTopic, 3);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('transactional mode (SQLite): events commit or roll back with the caller’s transaction; the relay publishes committed ones with their ids', async () => {
    const file = join(dir, 'tx.db');
    const store = new SqliteOutboxStore({ filename: file });
    const app = await boot(store);
    const outbox = app.get(OutboxService);
    const db = new Database(file);
    db.exec('CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY)');

    db.exec('BEGIN');
    db.prepare('INSERT INTO orders (id) VALUES (?)').run('rolled-back');
    await outbox.enqueue(OrderPlaced.of('rolled-back'), { transaction: db });
    db.exec('ROLLBACK');

    db.exec('BEGIN');
    db.prepare('INSERT INTO orders (id) VALUES (?)').run('committed');
    const [eventId] = await outbox.enqueue([OrderPlaced.of('committed')], { transaction: db });
    db.exec('COMMIT');
    db.close();

    const [record] = await readTopic(brokers, ordersTopic, 1, { settleMs: 1500 });
    expect(record.key!.toString()).toBe('committed');
    expect(record.headers['x-event-id'].toString()).toBe(eventId);
    await until(async () => (await outbox.stats())!.backlog === 0);
    expect((await store.get(eventId))!.status).toBe('PUBLISHED');
    expect((await store.get(eventId))!.kafkaOffset).toBe(record.offset);
    await app.close();
  });

  it('F9: poison rows go DEAD (at once when fatal, after maxAttempts otherwise), to the dead-letter topic, and other keys are unaffected', async () => {
    const store = new MemoryOutboxStore();
    const dlt = uniqueTopic('e2e-outbox-dlt');
    const good = uniqueTopic('e2e-outbox-good');
    await createTopic(brokers, dlt, 1);
    await createTopic(brokers, good, 1);
    await store.init();
    const row = (id: string, topic: string, key: string, value: Buffer) => ({
      id,
      topic,
      key: Buffer.from(key),
      partition: null,
      value,
      headers: { 'x-event-id': Buffer.from(id) },
      timestamp: Date.now(),
    });
    await store.add([
      row('00000000-0000-7000-8000-000000000001', 'invalid topic!', 'k1', Buffer.from('x')),
      row('00000000-0000-7000-8000-000000000002', good, 'k2', Buffer.from('fine')),
      row('00000000-0000-7000-8000-000000000003', good, 'k3', Buffer.alloc(2 * 1024 * 1024)),
      row('00000000-0000-7000-8000-000000000004', good, 'k2', Buffer.from('fine again')),
    ]);
    const app = await boot(store, {
      producer: { maxRequestSize: 4 * 1024 * 1024 },
      outbox: {
        store,
        relay: { pollIntervalMs: 100, backoffMs: 100, maxAttempts: 3, deadLetterTopic: dlt },
      },
    });
    await until(async () => (await store.stats()).backlog === 0, 60_000);
    const statuses = await Promise.all(
      ['1', '2', '3', '4'].map(
        async (n) => (await store.get(`00000000-0000-7000-8000-00000000000${n}`))!,
      ),
    );
    expect(statuses.map((r) => r.status)).toEqual(['DEAD', 'PUBLISHED', 'DEAD', 'PUBLISHED']);
    expect(statuses[0].attempts).toBe(1); // invalid topic: fatal, dead at once
    expect(statuses[0].lastError).toMatch(/InvalidTopicError/);
    expect(statuses[2].lastError).toMatch(/larger than the max message size/);
    expect(statuses[2].attempts).toBe(1); // the broker's MESSAGE_TOO_LARGE is fatal
    const published = await readTopic(brokers, good, 2);
    expect(published.map((r) => r.value!.toString())).toEqual(['fine', 'fine again']);
    // The invalid-topic row reaches the dead-letter topic (the 2 MiB one cannot: too large there too).
    const dead = await readTopic(brokers, dlt, 1, { settleMs: 1000 });
    expect(dead.map((r) => r.headers['x-original-topic'].toString())).toEqual(['invalid topic!']);
    expect(dead[0].headers['x-dead-reason'].toString()).toMatch(/InvalidTopicError/);
    expect((await store.stats()).dead).toBe(2);
    await app.close();
  });

  it('F10: @Outboxed() publishes what a handler sent only if it succeeds; a handler that throws emits nothing', async () => {
    const topic = uniqueTopic('e2e-outboxed');
    await createTopic(brokers, topic, 1);

    @Controller('orders')
    class OrdersController {
      constructor(private readonly producer: ProducerService) {}

      @Post()
      @HttpCode(201)
      @Outboxed()
      async create(@Body() body: { id: string; fail?: boolean }) {
        const first = await this.producer.send(OrderPlaced.of(body.id, 1), { topic });
        await this.producer.send(OrderPlaced.of(body.id, 2), { topic });
        if (body.fail) throw new Error('business rule broken after staging');
        return first;
      }
    }

    @Module({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-outboxed' },
          outbox: { store: new MemoryOutboxStore() },
        }),
      ],
      controllers: [OrdersController],
    })
    class AppModule {}

    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const post = (body: object) =>
      fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const failed = await post({ id: 'boom', fail: true });
    expect(failed.status).toBe(500);
    const ok = await post({ id: 'fine' });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ staged: true, offset: '-1' });
    // awaitPublish (default): by the time the response came, both events were acked.
    expect(await topicRecordCount(brokers, topic)).toBe(2);
    const records = await readTopic(brokers, topic, 2, { settleMs: 1000 });
    expect(records.map((r) => JSON.parse(r.value!.toString()))).toEqual([
      { id: 'fine', step: 1 },
      { id: 'fine', step: 2 },
    ]);
    await app.close();
  });
});
