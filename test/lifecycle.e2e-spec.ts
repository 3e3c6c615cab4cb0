import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import {
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  ProducerNotConnectedError,
  ProducerService,
} from '../lib/index.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic, topicRecordCount } from './support/read-topic.js';

const topic = uniqueTopic('e2e-lifecycle');

@KafkaEvent(topic)
@KeyedBy('id')
class Tick {
  constructor(public id: string) {}
}

async function boot(options: { connect?: 'eager' | 'lazy'; brokers?: string[] } = {}) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      KafkaProducerModule.forRoot({
        client: { brokers: options.brokers ?? testBrokers(), clientId: 'e2e-lifecycle' },
        connect: options.connect,
        connectRetries: 1,
        connectTimeoutMs: 5000,
      }),
    ],
  }).compile();
  return moduleRef;
}

describe('connection lifecycle', () => {
  const brokers = testBrokers();

  beforeAll(() => createTopic(brokers, topic, 3));

  it('eager (default) connects during init; lazy connects on the first send', async () => {
    for (const connect of ['eager', 'lazy'] as const) {
      const app = await (await boot({ connect })).init();
      const report = await app.get(ProducerService).send(new Tick(`${connect}-1`));
      expect(Number(report.offset)).toBeGreaterThanOrEqual(0);
      await app.close();
    }
  });

  it('lazy connect to a dead address fails the send, and is retried (not cached) on the next one', async () => {
    const app = await (await boot({ connect: 'lazy', brokers: ['127.0.0.1:1'] })).init();
    const producer = app.get(ProducerService);
    await expect(producer.send(new Tick('x'))).rejects.toBeInstanceOf(ProducerNotConnectedError);
    await expect(producer.send(new Tick('y'))).rejects.toThrow(/brokers tried: 127\.0\.0\.1:1/);
    await app.close();
  });

  it('shutdown with sends in flight: each one is acked or rejected, none dropped, then new sends are refused', async () => {
    const before = await topicRecordCount(brokers, topic);
    const app = await (await boot()).init();
    const producer = app.get(ProducerService);
    const outcomes = Array.from({ length: 2000 }, (_, i) =>
      producer.send(new Tick(`burst-${i}`)).then(
        (report) => ({ ok: true as const, report }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    await app.close();
    const settled = await Promise.all(outcomes);
    const acked = settled.filter((o) => o.ok);
    const rejected = settled.filter((o) => !o.ok);
    // Every send settled: acked, or rejected with a typed error (here: the shutdown refusal).
    expect(acked.length + rejected.length).toBe(2000);
    rejected.forEach((o) =>
      expect((o as { error: Error }).error).toBeInstanceOf(ProducerNotConnectedError),
    );
    expect(acked.length).toBeGreaterThan(0);
    // Every acked record is on the broker, and nothing else was written.
    const stored = await readTopic(brokers, topic, before + acked.length, { settleMs: 1000 });
    const storedIds = new Set(stored.map((r) => r.headers['x-event-id'].toString()));
    for (const o of acked) expect(storedIds.has(o.report.eventId)).toBe(true);
    expect(await topicRecordCount(brokers, topic)).toBe(before + acked.length);
    await expect(producer.send(new Tick('late'))).rejects.toThrow(/shutting down/);
  });
});
