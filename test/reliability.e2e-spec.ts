import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import {
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  ProducerService,
  UnknownTopicError,
  ValidationError,
  type DeliveryReport,
  type FailedRecord,
  type KafkaProducerError,
  type KafkaProducerModuleOptions,
} from '../lib/index.js';
import { IsInt, Min } from 'class-validator';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { topicRecordCount } from './support/read-topic.js';

const topic = uniqueTopic('e2e-reliability');

@KafkaEvent(topic)
@KeyedBy('id')
class Audit {
  id!: string;
  @IsInt() @Min(0) n!: number;
}

async function boot(options: Partial<KafkaProducerModuleOptions>) {
  const moduleRef = await Test.createTestingModule({
    imports: [
      KafkaProducerModule.forRoot({
        client: { brokers: testBrokers(), clientId: 'e2e-rel' },
        ...options,
      }),
    ],
  }).compile();
  return moduleRef.init();
}

describe('retriable and fatal failures, listeners', () => {
  const brokers = testBrokers();

  beforeAll(() => createTopic(brokers, topic, 2));

  it('an unknown topic with auto-creation off fails at once with a fatal UnknownTopicError', async () => {
    const app = await boot({ producer: { allowAutoTopicCreation: false } });
    const missing = uniqueTopic('e2e-missing');
    const started = Date.now();
    const error = await app
      .get(ProducerService)
      .sendRaw(missing, [{ value: 'x' }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownTopicError);
    expect(error).toMatchObject({ topic: missing, retriable: false });
    expect(Date.now() - started).toBeLessThan(10_000);
    await app.close();
  });

  it('listeners hear of every acked record and every failure, and a throwing listener breaks nothing', async () => {
    const successes: DeliveryReport[] = [];
    const failures: Array<[KafkaProducerError, FailedRecord]> = [];
    const app = await boot({
      listeners: [
        { onSuccess: (r) => successes.push(r), onError: (e, r) => failures.push([e, r]) },
        {
          onSuccess: () => {
            throw new Error('listener bug');
          },
        },
      ],
    });
    const producer = app.get(ProducerService);
    const before = await topicRecordCount(brokers, topic);
    const reports = await producer.sendMany(
      Array.from({ length: 5 }, (_, n) => Object.assign(new Audit(), { id: `a${n}`, n })),
    );
    const single = await producer.send(Object.assign(new Audit(), { id: 'b', n: 9 }));
    const bad = Object.assign(new Audit(), { id: 'c', n: -1 });
    await expect(producer.send(bad)).rejects.toBeInstanceOf(ValidationError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(successes.map((r) => r.eventId).sort()).toEqual(
      [...reports, single].map((r) => r.eventId).sort(),
    );
    expect(failures).toHaveLength(1);
    expect(failures[0][0]).toBeInstanceOf(ValidationError);
    expect(failures[0][1]).toEqual({ topic, event: bad });
    expect(await topicRecordCount(brokers, topic)).toBe(before + 6);
    await app.close();
  });
});
