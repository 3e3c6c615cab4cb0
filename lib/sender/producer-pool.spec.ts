import { Logger } from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import { ProducerPool } from './producer-pool.js';

/** A kafkajs stand-in whose producers record whether they are connected. */
class FakeProducer {
  connected = false;
  async connect() {
    this.connected = true;
  }
  async disconnect() {
    this.connected = false;
  }
}

function pool() {
  const made: FakeProducer[] = [];
  const kafka = {
    producer: () => {
      const producer = new FakeProducer();
      made.push(producer);
      return producer as unknown as Producer;
    },
  } as unknown as Kafka;
  const policy = {
    brokers: ['localhost:9092'],
    attempts: 1,
    timeoutMs: 1000,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: true,
    retryBackoffMs: 100,
    retryBackoffMaxMs: 1000,
  };
  const logger = new Logger('test');
  logger.warn = () => undefined;
  const created = new ProducerPool(kafka, () => () => 0, policy, logger);
  return { pool: created, made };
}

const profile = { id: 'all', idempotent: true, acks: -1 } as unknown as ReliabilityProfile;
const flush = () => new Promise((ok) => setImmediate(ok));

describe('ProducerPool', () => {
  it('lends one producer per profile to concurrent requests', async () => {
    const { pool: p, made } = pool();
    const [a, b] = await Promise.all([p.acquire(profile), p.acquire(profile)]);
    expect(a.producer).toBe(b.producer);
    expect(made).toHaveLength(1);
    a.release();
    b.release();
    expect(made[0].connected).toBe(true);
  });

  it('replaces a retired producer and disconnects it once its last request is done', async () => {
    const { pool: p, made } = pool();
    const first = await p.acquire(profile);
    const other = await p.acquire(profile);
    first.release(true);
    // A new request gets a fresh producer (a new producer id on connect)...
    const fresh = await p.acquire(profile);
    expect(fresh.producer).not.toBe(first.producer);
    expect(made).toHaveLength(2);
    // ...while the old one stays connected for the request still using it.
    await flush();
    expect(made[0].connected).toBe(true);
    expect(p.producerCount).toBe(2);
    other.release();
    await flush();
    expect(made[0].connected).toBe(false);
    expect(made[1].connected).toBe(true);
    expect(p.producerCount).toBe(1);
    fresh.release();
    await p.disconnectAll();
    expect(made[1].connected).toBe(false);
  });
});
