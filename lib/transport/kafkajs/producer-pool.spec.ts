import { Logger } from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import type { ReliabilityProfile } from '../../interfaces/reliability.interface.js';
import { AuthenticationError } from '../../errors/authentication.error.js';
import { ProducerNotConnectedError } from '../../errors/producer-not-connected.error.js';
import { TlsError } from '../../errors/tls.error.js';
import { ProducerPool } from './producer-pool.js';

/** A kafkajs stand-in whose producers record whether they are connected. */
class FakeProducer {
  connected = false;
  /** Connect attempts, and the error each one fails with while set. */
  attempts = 0;
  constructor(private readonly failWith?: Error) {}
  async connect() {
    this.attempts++;
    if (this.failWith) throw this.failWith;
    this.connected = true;
  }
  async disconnect() {
    this.connected = false;
  }
}

function pool(idempotentLanes?: number, attempts = 1, failWith?: Error) {
  const made: FakeProducer[] = [];
  const kafka = {
    producer: () => {
      const producer = new FakeProducer(failWith);
      made.push(producer);
      return producer as unknown as Producer;
    },
  } as unknown as Kafka;
  const policy = {
    brokers: ['localhost:9092'],
    attempts,
    timeoutMs: 1000,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: true,
    retryBackoffMs: 100,
    retryBackoffMaxMs: 1000,
    idempotentLanes,
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

  it('gives an idempotent profile idempotentLanes producers, all connected by get(); others one', async () => {
    const { pool: p, made } = pool(2);
    const leader = { id: 'leader', idempotent: false, acks: 1 } as unknown as ReliabilityProfile;
    expect(p.lanes(profile)).toBe(2);
    expect(p.lanes(leader)).toBe(1);
    await p.get(profile);
    expect(made).toHaveLength(2);
    expect(made.every((m) => m.connected)).toBe(true);
    const [zero, one] = await Promise.all([p.acquire(profile, 0), p.acquire(profile, 1)]);
    expect(zero.producer).toBe(made[0]);
    expect(one.producer).toBe(made[1]);
    // Retiring lane 1 replaces only lane 1.
    one.release(true);
    zero.release();
    const [zeroAgain, oneAgain] = await Promise.all([p.acquire(profile, 0), p.acquire(profile, 1)]);
    expect(zeroAgain.producer).toBe(made[0]);
    expect(oneAgain.producer).toBe(made[2]);
    await flush();
    expect(made[1].connected).toBe(false);
    zeroAgain.release();
    oneAgain.release();
    await p.disconnectAll();
    expect(made.some((m) => m.connected)).toBe(false);
  });

  it('gives up connecting at the first refused login or unverified certificate, with its typed error', async () => {
    const sasl = Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
      retriable: false,
    });
    const tls = Object.assign(new Error('Connection error: self-signed certificate in chain'), {
      name: 'KafkaJSConnectionError',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
      retriable: true,
    });
    for (const [error, type] of [
      [sasl, AuthenticationError],
      [tls, TlsError],
    ] as const) {
      const { pool: p, made } = pool(undefined, 5, error);
      await expect(p.acquire(profile)).rejects.toBeInstanceOf(type);
      expect(made[0].attempts).toBe(1);
    }
  });

  it('retries any other connect failure up to its attempts, then fails with ProducerNotConnectedError', async () => {
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
      code: 'ECONNREFUSED',
      retriable: true,
    });
    const { pool: p, made } = pool(undefined, 2, refused);
    const error = await p.acquire(profile).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProducerNotConnectedError);
    expect((error as ProducerNotConnectedError).retriable).toBe(true);
    expect(made[0].attempts).toBe(2);
  });
});
