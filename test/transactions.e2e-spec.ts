import 'reflect-metadata';
import { IsString } from 'class-validator';
import { KafkaEvent, KafkaProducerModule, KeyedBy, ProducerService } from '../lib/index.js';
import { Test } from '@nestjs/testing';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic } from './support/read-topic.js';

const topic = uniqueTopic('tx');

@KafkaEvent(topic)
@KeyedBy('id')
class Moved {
  @IsString() id!: string;
  static of(id: string): Moved {
    return Object.assign(new Moved(), { id });
  }
}

describe('smoke', () => {
  it('commits', async () => {
    const brokers = testBrokers();
    await createTopic(brokers, topic, 3);
    const ref = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers },
          transactionalIdPrefix: 'smoke-' + topic,
        }),
      ],
    }).compile();
    const app = await ref.init();
    const producer = app.get(ProducerService);
    const v = await producer.transaction(async (tx) => {
      await tx.send(Moved.of('a'));
      await tx.sendMany([Moved.of('b'), Moved.of('c')]);
      return 42;
    });
    expect(v).toBe(42);
    const got = await readTopic(brokers, topic, 3);
    expect(got.map((r) => r.value?.toString()).sort()).toHaveLength(3);
    await app.close();
  });
});
