import { Logger } from '@nestjs/common';
import type { Kafka, Producer, ProducerBatch as Request } from 'kafkajs';
import { ProducerBatch } from '../accumulator/producer-batch.js';
import { DeliveryTimeoutError } from '../errors/delivery-timeout.error.js';
import { UnknownTopicError } from '../errors/unknown-topic.error.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import { KafkajsTransport } from '../transport/kafkajs/kafkajs-transport.js';
import { RecordSender } from './record-sender.js';

/** What a fake producer answers to one sendBatch: a base offset per partition, or a throw. */
type Script = (request: Request, producer: number) => number | Error;

const kafkajsError = (name: string, extra: object = {}) =>
  Object.assign(new Error(name), { name, ...extra });
const refused = () =>
  kafkajsError('KafkaJSNonRetriableError', {
    cause: kafkajsError('KafkaJSConnectionError', { code: 'ECONNREFUSED', retriable: true }),
  });
const timedOut = () =>
  kafkajsError('KafkaJSNumberOfRetriesExceeded', {
    cause: kafkajsError('KafkaJSRequestTimeoutError', { retriable: true }),
  });

/** A sender over a pool of fake kafkajs producers that answer by `script`; logs every request. */
function setup(script: Script, idempotent = true, idempotentLanes = 1) {
  const requests: Array<{ producer: number; partitions: number[]; count: number }> = [];
  let made = 0;
  const kafka = {
    producer: () => {
      const id = ++made;
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        sendBatch: async (request: Request) => {
          const messages = request.topicMessages!.flatMap((t) => t.messages);
          const partitions = [...new Set(messages.map((m) => m.partition!))];
          requests.push({ producer: id, partitions, count: messages.length });
          const answer = script(request, id);
          if (answer instanceof Error) throw answer;
          return partitions.map((partition) => ({
            topicName: request.topicMessages![0].topic,
            partition,
            errorCode: 0,
            baseOffset: String(answer),
          }));
        },
      } as unknown as Producer;
    },
  } as unknown as Kafka;
  const logger = new Logger('test');
  logger.warn = () => undefined;
  const backoff = { retryBackoffMs: 5, retryBackoffMaxMs: 20 };
  const transport = new KafkajsTransport(
    {
      client: { brokers: ['b:9092'] },
      brokers: ['b:9092'],
      requestTimeoutMs: 1000,
      connectRetries: 1,
      connectTimeoutMs: 1000,
      // Lanes: 2 with more than one request in flight, 1 with one.
      maxInFlightRequests: idempotentLanes === 1 ? 1 : 5,
      allowAutoTopicCreation: true,
      maxBlockMs: 1000,
      metadataMaxAgeMs: 60_000,
      ...backoff,
    },
    logger,
    kafka,
  );
  const sender = new RecordSender(transport, backoff, logger);
  const profile: ReliabilityProfile = {
    id: idempotent ? 'all' : 'leader',
    acks: idempotent ? -1 : 1,
    idempotent,
    retries: 100,
    deliveryTimeoutMs: 300,
  };
  return { sender, profile, requests, producers: () => made };
}

/** A batch of `n` records for `partition`, and its callers' outcomes. */
function batch(partition: number, n: number) {
  const b = new ProducerBatch('t', partition, Date.now());
  const outcomes: Array<Promise<DeliveryReport>> = [];
  for (let i = 0; i < n; i++) {
    outcomes.push(
      new Promise<DeliveryReport>((resolve, reject) =>
        b.add({
          record: {
            topic: 't',
            keyValue: null,
            key: null,
            value: Buffer.from(`v${i}`),
            headers: {},
            timestamp: 0,
            eventId: `${partition}-${i}`,
            size: 2,
          },
          reserved: 66,
          resolve,
          reject,
        }),
      ),
    );
  }
  return { batch: b, outcomes };
}

describe('RecordSender', () => {
  it('sends an idempotent profile one partition per request; each record gets base + position', async () => {
    const { sender, profile, requests } = setup(() => 100);
    const a = batch(0, 2);
    const b = batch(1, 3);
    await sender.transmit([a.batch, b.batch], profile, 'none', Date.now() + 1000);
    expect(requests.map((r) => r.partitions).sort()).toEqual([[0], [1]]);
    const offsets = await Promise.all([...a.outcomes, ...b.outcomes]);
    expect(offsets.map((r) => `${r.partition}@${r.offset}`)).toEqual([
      '0@100',
      '0@101',
      '1@100',
      '1@101',
      '1@102',
    ]);
  });

  it('sends a non-idempotent profile as one request', async () => {
    const { sender, profile, requests } = setup(() => 7, false);
    const a = batch(0, 1);
    const b = batch(2, 1);
    await sender.transmit([a.batch, b.batch], profile, 'none', Date.now() + 1000);
    expect(requests).toEqual([{ producer: 1, partitions: [0, 2], count: 2 }]);
    expect((await b.outcomes[0]).offset).toBe('7');
  });

  it('sends again after a retriable failure kafkajs gave up on, within the delivery timeout', async () => {
    let calls = 0;
    const { sender, profile, requests } = setup(() => (++calls <= 2 ? refused() : 40));
    const a = batch(0, 2);
    await sender.transmit([a.batch], profile, 'none', Date.now() + 1000);
    expect(requests).toHaveLength(3);
    expect((await a.outcomes[1]).offset).toBe('41');
  });

  it('replaces an idempotent producer after a failure whose outcome is unknown', async () => {
    const { sender, profile, requests } = setup((_, producer) =>
      producer === 1 ? timedOut() : 10,
    );
    const a = batch(0, 1);
    const b = batch(1, 1);
    await sender.transmit([a.batch, b.batch], profile, 'none', Date.now() + 1000);
    // Both partitions failed on producer 1; the retry goes out on a fresh producer (new id).
    expect(requests.filter((r) => r.producer === 1)).toHaveLength(2);
    expect(requests.filter((r) => r.producer === 2).map((r) => r.partitions)).toHaveLength(2);
    expect((await a.outcomes[0]).offset).toBe('10');
    expect((await b.outcomes[0]).offset).toBe('10');
  });

  it('sends each partition of an idempotent profile on its own lane (producer), always the same one', async () => {
    const { sender, profile, requests, producers } = setup(() => 0, true, 2);
    for (let round = 0; round < 3; round++) {
      const parts = [0, 1, 2, 3].map((p) => batch(p, 1));
      await sender.transmit(
        parts.map((x) => x.batch),
        profile,
        'none',
        Date.now() + 1000,
      );
    }
    expect(producers()).toBe(2);
    const laneOf = new Map<number, Set<number>>();
    for (const r of requests) {
      for (const p of r.partitions) laneOf.set(p, (laneOf.get(p) ?? new Set()).add(r.producer));
    }
    // Every partition went out 3 times, each time with the same producer; both producers used.
    expect(requests).toHaveLength(12);
    expect([...laneOf.values()].map((s) => s.size)).toEqual([1, 1, 1, 1]);
    expect(new Set([...laneOf.values()].flatMap((s) => [...s]))).toEqual(new Set([1, 2]));
  });

  it('replaces only the lane whose request had an unknown outcome; the other lane keeps its producer', async () => {
    let failed = false;
    const { sender, profile, requests } = setup(
      (_, producer) => {
        if (producer === 1 && !failed) {
          failed = true;
          return timedOut();
        }
        return 5;
      },
      true,
      2,
    );
    const a = batch(0, 1); // lane 0: producer 1
    const b = batch(1, 1); // lane 1: producer 2
    await sender.transmit([a.batch, b.batch], profile, 'none', Date.now() + 1000);
    expect((await a.outcomes[0]).offset).toBe('5');
    expect((await b.outcomes[0]).offset).toBe('5');
    const c = batch(0, 1);
    const d = batch(1, 1);
    await sender.transmit([c.batch, d.batch], profile, 'none', Date.now() + 1000);
    const byPartition = (p: number) =>
      requests.filter((r) => r.partitions.includes(p)).map((r) => r.producer);
    // Partition 0: failed on producer 1, then a fresh producer 3 (new id) for lane 0.
    expect(byPartition(0)).toEqual([1, 3, 3]);
    // Partition 1: lane 1 was never in doubt, so producer 2 throughout.
    expect(byPartition(1)).toEqual([2, 2]);
  });

  it('fails at once, without retrying, on a fatal error', async () => {
    const { sender, profile, requests, producers } = setup(() =>
      kafkajsError('KafkaJSProtocolError', { type: 'UNKNOWN_TOPIC_OR_PARTITION' }),
    );
    const a = batch(0, 1);
    await sender.transmit([a.batch], profile, 'none', Date.now() + 1000);
    await expect(a.outcomes[0]).rejects.toBeInstanceOf(UnknownTopicError);
    expect(requests).toHaveLength(1);
    expect(producers()).toBe(1);
  });

  it('rejects with DeliveryTimeoutError when retriable failures last past the deadline', async () => {
    const { sender, profile, requests } = setup(() => refused());
    const a = batch(0, 1);
    const started = Date.now();
    await sender.transmit([a.batch], profile, 'none', started + 150);
    await expect(a.outcomes[0]).rejects.toBeInstanceOf(DeliveryTimeoutError);
    expect(requests.length).toBeGreaterThan(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
