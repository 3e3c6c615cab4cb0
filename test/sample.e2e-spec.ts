import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxService, SqliteOutboxStore } from '../lib/index.js';
import { decodeAvro } from '../sample/avro-decode.js';
import { bootstrap } from '../sample/main.js';
import { KafkaCluster } from '../tools/kafka/harness.js';
import { testBrokers } from './support/kafka-env.js';
import { readTopic, topicRecordCount } from './support/read-topic.js';
import { testRegistryUrl } from './support/registry-env.js';

describe('the sample orders service', () => {
  const brokers = testBrokers();
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await bootstrap(0);
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(() => app.close());

  const post = (body: unknown) =>
    fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('POST /orders publishes OrderCreated, a metric and an audit record', async () => {
    const res = await post({ sku: 'e2e-sku', quantity: 3, tenantId: 'e2e-tenant' });
    expect(res.status).toBe(201);
    const { orderId, delivery } = (await res.json()) as {
      orderId: string;
      delivery: {
        topic: string;
        partition: number;
        offset: string;
        eventId: string;
        staged?: boolean;
      };
    };
    expect(delivery.topic).toBe('orders.created');
    // The topic is shared with anything else that ran the sample: read it all, find ours.
    const all = await readTopic(
      brokers,
      'orders.created',
      await topicRecordCount(brokers, 'orders.created'),
    );
    const mine = all.find((r) => r.key?.toString() === orderId)!;
    expect(JSON.parse(mine.value!.toString())).toEqual({
      orderId,
      sku: 'e2e-sku',
      quantity: 3,
      tenantId: 'e2e-tenant',
    });
    expect(mine.headers['x-tenant-id'].toString()).toBe('e2e-tenant');
    // Its Avro twin, decoded by the schema the registry has for the id in bytes 1-4.
    const avro = await readTopic(
      brokers,
      'orders.created.avro',
      await topicRecordCount(brokers, 'orders.created.avro'),
    );
    const twin = avro.find((r) => r.key?.toString() === orderId)!;
    expect(await decodeAvro(testRegistryUrl(), twin.value!)).toEqual({
      schemaId: twin.value!.readInt32BE(1),
      value: { orderId, sku: 'e2e-sku', quantity: 3, tenantId: 'e2e-tenant' },
    });
    expect(mine.headers['x-event-id'].toString()).toBe(delivery.eventId);
    // @Outboxed(): the handler's sends were staged, then published before the response.
    expect(delivery).toMatchObject({ staged: true, offset: '-1' });
  });

  it('an invalid order is a 400 and publishes nothing', async () => {
    const res = await post({ sku: 'e2e-sku', quantity: 0, tenantId: 'e2e-tenant' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/quantity/);
  });
});

describe('the sample orders service while its broker is down (a broker of its own)', () => {
  // Not the shared e2e broker: this test kills and restarts the broker.
  let cluster: KafkaCluster;
  let dir: string;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    cluster = await KafkaCluster.start({ brokers: 1 });
    dir = mkdtempSync(join(tmpdir(), 'sample-outbox-e2e-'));
    // The sample reads both at bootstrap; put them back at once for the other tests.
    const saved = { brokers: process.env.KAFKA_BROKERS, file: process.env.OUTBOX_FILE };
    process.env.KAFKA_BROKERS = cluster.bootstrap;
    process.env.OUTBOX_FILE = join(dir, 'outbox.db');
    try {
      app = await bootstrap(0);
    } finally {
      restoreEnv('KAFKA_BROKERS', saved.brokers);
      restoreEnv('OUTBOX_FILE', saved.file);
    }
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (body: { sku: string; quantity: number; tenantId: string }) => {
    const res = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const { orderId, delivery } = (await res.json()) as {
      orderId: string;
      delivery: { eventId: string };
    };
    return { status: res.status, orderId, eventId: delivery?.eventId, ...body };
  };

  it('POST /orders answers 201 with the broker down; the orders reach Kafka once it is back', async () => {
    const brokers = cluster.bootstrap.split(',');
    const broker = cluster.brokers[0].id;
    const outbox = app.get(OutboxService);
    // While Kafka is up (this also has the producer learn the topics, as a running service has).
    const before = await post({ sku: 'up-1', quantity: 1, tenantId: 'acme' });
    expect(before.status).toBe(201);
    expect(await readTopic(brokers, 'orders.created', 1)).toHaveLength(1);

    await cluster.kill(broker);
    const started = Date.now();
    const during = await Promise.all(
      [
        { sku: 'down-1', quantity: 1, tenantId: 'acme' },
        { sku: 'down-2', quantity: 2, tenantId: 'acme' },
        { sku: 'down-3', quantity: 3, tenantId: 'globex' },
      ].map(post),
    );
    const answeredMs = Date.now() - started;
    expect(during.map((p) => p.status)).toEqual([201, 201, 201]);
    // The sample's deliveryTimeoutMs (5 s) bounds how long a request waits for Kafka.
    expect(answeredMs).toBeLessThan(5000 + 5000);
    // Each order's OrderCreated is in the SQLite outbox file, not published.
    const file = new SqliteOutboxStore({ filename: join(dir, 'outbox.db') });
    await file.init();
    const rows = await Promise.all(during.map((p) => file.get(p.eventId)));
    await file.close();
    expect(rows.map((r) => r?.topic)).toEqual(Array(3).fill('orders.created'));
    expect(rows.map((r) => r?.key?.toString())).toEqual(during.map((p) => p.orderId));
    expect(rows.every((r) => r!.status !== 'PUBLISHED')).toBe(true);
    expect((await outbox.stats())!.backlog).toBeGreaterThanOrEqual(3);

    await cluster.restart(broker);
    const deadline = Date.now() + 60_000;
    while ((await outbox.stats())!.backlog > 0) {
      if (Date.now() > deadline) throw new Error('the outbox did not drain in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    // Read back with a consumer of our own. An attempt that timed out while the broker was
    // down may still have been written before the relay's retry: same x-event-id (dedupe).
    const sent = [before, ...during];
    const records = await readTopic(brokers, 'orders.created', sent.length, { settleMs: 1500 });
    const ids = records.map((r) => r.headers['x-event-id'].toString());
    expect([...new Set(ids)].sort()).toEqual(sent.map((p) => p.eventId).sort());
    for (const p of sent) {
      // The order's key holds its OrderCreated, as POSTed, and nothing else (each order is
      // its own key, so per-key order is this; outbox-fallback.e2e-spec.ts has longer keys).
      const mine = records.filter((r) => r.key?.toString() === p.orderId);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine.map((r) => r.headers['x-event-id'].toString())).toEqual(
        mine.map(() => p.eventId),
      );
      expect(mine.map((r) => JSON.parse(r.value!.toString()) as unknown)).toEqual(
        mine.map(() => ({
          orderId: p.orderId,
          sku: p.sku,
          quantity: p.quantity,
          tenantId: p.tenantId,
        })),
      );
      expect(mine.every((r) => r.headers['x-tenant-id'].toString() === p.tenantId)).toBe(true);
    }
    // The audit producer (a memory outbox) deferred and delivered its records too.
    const audit = await readTopic(brokers, 'orders.audit', sent.length, { settleMs: 500 });
    expect([...new Set(audit.map((r) => r.key?.toString()))].sort()).toEqual(
      sent.map((p) => `${p.tenantId}:${p.orderId}`).sort(),
    );
    console.log(
      `sample outage: ${during.length} orders answered 201 in ${answeredMs} ms; ` +
        `${records.length - ids.filter((id, i) => ids.indexOf(id) === i).length} duplicate(s) by x-event-id`,
    );
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
