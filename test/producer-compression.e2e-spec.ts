import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  COMPRESSION_CODECS,
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  ProducerService,
  type CompressionCodec,
} from '../lib/index.js';
import { javaConsoleConsume } from './support/java-tools.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic } from './support/read-topic.js';

const zstdTopic = uniqueTopic('e2e-codec-class');

@KafkaEvent(zstdTopic, { compression: 'zstd' })
@KeyedBy('id')
class Shipment {
  id!: string;
  note!: string;
}

describe('compression through ProducerService: module default, class and per call', () => {
  const brokers = testBrokers();
  let app: INestApplicationContext;
  let producer: ProducerService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-codecs' },
          producer: { compression: 'snappy' },
        }),
      ],
    }).compile();
    app = await moduleRef.init();
    producer = app.get(ProducerService);
  });

  afterAll(() => app.close());

  it.each(COMPRESSION_CODECS.map((c) => [c]))(
    '%s batches are read back by kafkajs and by Kafka’s Java console consumer',
    async (codec: CompressionCodec) => {
      const topic = uniqueTopic(`e2e-codec-${codec}`);
      await createTopic(brokers, topic, 2);
      const events = Array.from({ length: 200 }, (_, i) =>
        Object.assign(new Shipment(), { id: `s${i}`, note: `parcel ${i} — ${'ü'.repeat(i % 7)}` }),
      );
      await producer.sendMany(events, { topic, compression: codec });
      const viaKafkajs = await readTopic(brokers, topic, events.length);
      expect(new Set(viaKafkajs.map((r) => r.value!.toString()))).toEqual(
        new Set(events.map((e) => JSON.stringify(e))),
      );
      const viaJava = await javaConsoleConsume({
        bootstrap: brokers.join(','),
        topic,
        maxMessages: events.length,
      });
      expect(new Map(viaJava.map((r) => [r.key, r.value]))).toEqual(
        new Map(events.map((e) => [e.id, JSON.stringify(e)])),
      );
    },
  );

  it('a class’s codec and the module default apply without per-call options', async () => {
    await createTopic(brokers, zstdTopic, 1);
    const defaultTopic = uniqueTopic('e2e-codec-default');
    await createTopic(brokers, defaultTopic, 1);
    await producer.send(Object.assign(new Shipment(), { id: 'z', note: 'zstd by class' }));
    await producer.sendRaw(defaultTopic, [{ key: 'd', value: 'snappy by module default' }]);
    const [byClass] = await javaConsoleConsume({
      bootstrap: brokers.join(','),
      topic: zstdTopic,
      maxMessages: 1,
    });
    const [byDefault] = await javaConsoleConsume({
      bootstrap: brokers.join(','),
      topic: defaultTopic,
      maxMessages: 1,
    });
    expect(JSON.parse(byClass.value!)).toEqual({ id: 'z', note: 'zstd by class' });
    expect(byDefault.value).toBe('snappy by module default');
  });

  it('an unknown codec is a ConfigurationError before anything is sent', async () => {
    await expect(
      producer.send(Object.assign(new Shipment(), { id: 'x', note: 'n' }), {
        compression: 'brotli' as CompressionCodec,
      }),
    ).rejects.toThrow(/brotli/);
  });
});
