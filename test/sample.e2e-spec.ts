import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { bootstrap } from '../sample/main.js';
import { testBrokers } from './support/kafka-env.js';
import { readTopic, topicRecordCount } from './support/read-topic.js';

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
