import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomInt } from 'node:crypto';
import {
  IntegerSerializer,
  KafkaEvent,
  KafkaHeader,
  KafkaProducerModule,
  KeyedBy,
  partitionForKey,
  ProducerService,
  StringSerializer,
} from '../lib/index.js';
import { javaConsoleConsume, javaPartitionsForKeys, javaSerialize } from './support/java-tools.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import { readTopic } from './support/read-topic.js';

const textTopic = uniqueTopic('e2e-java-text');
const intTopic = uniqueTopic('e2e-java-int');
const keyedTopic = uniqueTopic('e2e-java-keyed');

@KafkaEvent(textTopic)
@KeyedBy('sku')
class Stocked {
  sku!: string;
  count!: number;
  @KafkaHeader('x-warehouse') warehouse!: string;
}

@KafkaEvent(intTopic, { serializer: 'integer', keySerializer: 'integer', valueFrom: 'count' })
@KeyedBy('id')
class Counter {
  id!: number;
  count!: number;
}

@KafkaEvent(keyedTopic)
@KeyedBy('key')
class Keyed {
  key!: string;
}

const RANGES: Array<[number, number]> = [
  [0x20, 0x7e], // ASCII
  [0xa0, 0x24f], // Latin-1 and Latin Extended
  [0x391, 0x3c9], // Greek
  [0x4e00, 0x9fff], // CJK
  [0x1f600, 0x1f64f], // emoji (4 UTF-8 bytes, surrogate pairs in JS)
];

function randomKey(): string {
  const ascii = randomInt(2) === 0;
  const length = randomInt(0, 40);
  let text = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = ascii ? RANGES[0] : RANGES[randomInt(RANGES.length)];
    text += String.fromCodePoint(randomInt(lo, hi + 1));
  }
  return text;
}

describe('parity with the Java client (same jars as the broker)', () => {
  const brokers = testBrokers();
  const bootstrap = brokers.join(',');
  let app: INestApplicationContext;
  let producer: ProducerService;

  beforeAll(async () => {
    await createTopic(brokers, textTopic, 3);
    await createTopic(brokers, intTopic, 3);
    await createTopic(brokers, keyedTopic, 7);
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaProducerModule.forRoot({ client: { brokers, clientId: 'e2e-java' } })],
    }).compile();
    app = await moduleRef.init();
    producer = app.get(ProducerService);
  });

  afterAll(() => app.close());

  it('partitions 10,000 random ASCII and non-ASCII keys exactly as Java’s murmur2 does', async () => {
    const keys = Array.from({ length: 10_000 }, randomKey);
    const bytes = keys.map((k) => Buffer.from(k, 'utf8'));
    expect(bytes.some((b, i) => b.length !== keys[i].length)).toBe(true); // non-ASCII present
    for (const partitions of [1, 7, 12, 1000]) {
      const java = await javaPartitionsForKeys(bytes, partitions);
      const ours = bytes.map((b) => partitionForKey(b, partitions));
      const mismatches = ours.filter((p, i) => p !== java[i]).length;
      expect({ partitions, mismatches }).toEqual({ partitions, mismatches: 0 });
    }
  });

  it('the broker stores keyed records in the partition Java computes for their key', async () => {
    const keys = Array.from({ length: 300 }, randomKey);
    const reports = await producer.sendMany(keys.map((key) => Object.assign(new Keyed(), { key })));
    const java = await javaPartitionsForKeys(
      keys.map((k) => Buffer.from(k, 'utf8')),
      7,
    );
    const stored = await readTopic(brokers, keyedTopic, 300);
    const partitionOf = new Map(stored.map((r) => [r.key!.toString('utf8'), r.partition]));
    keys.forEach((key, i) => {
      expect(reports[i].partition).toBe(java[i]);
      expect(partitionOf.get(key)).toBe(java[i]);
    });
  });

  it('String and Integer serializers are byte-identical to Java’s', async () => {
    const texts = ['', 'hello', 'héllo wörld', '日本語', '😀 emoji', 'x'.repeat(1000)];
    const javaText = await javaSerialize('string', texts);
    const strings = new StringSerializer();
    texts.forEach((t, i) =>
      expect(strings.serialize(t, { topic: 't', part: 'value' })).toEqual(javaText[i]),
    );
    const numbers = [0, 1, -1, 255, 256, -256, 2147483647, -2147483648, 123456789];
    const javaInt = await javaSerialize('integer', numbers);
    const integers = new IntegerSerializer();
    numbers.forEach((n, i) =>
      expect(integers.serialize(n, { topic: 't', part: 'value' })).toEqual(javaInt[i]),
    );
  });

  it('Kafka’s Java console consumer reads our String keys, JSON values and headers back', async () => {
    const events = ['sku-1', 'sku-é', 'sku-日本'].map((sku, i) =>
      Object.assign(new Stocked(), { sku, count: i * 10, warehouse: `wh-${i}` }),
    );
    const reports = await producer.sendMany(events);
    const records = await javaConsoleConsume({ bootstrap, topic: textTopic, maxMessages: 3 });
    const byKey = new Map(records.map((r) => [r.key, r]));
    events.forEach((event, i) => {
      const record = byKey.get(event.sku)!;
      expect(record).toBeDefined();
      expect(record.value).toBe(JSON.stringify(event));
      expect(record.headers['x-warehouse']).toBe(`wh-${i}`);
      expect(record.headers['x-event-id']).toBe(reports[i].eventId);
      expect(record.partition).toBe(reports[i].partition);
      expect(record.offset).toBe(reports[i].offset);
    });
  });

  it('Kafka’s Java console consumer reads our Integer keys and values with IntegerDeserializer', async () => {
    const events = [1, -7, 2147483647, -2147483648, 42].map((id, i) =>
      Object.assign(new Counter(), { id, count: i * 1000 - 1 }),
    );
    await producer.sendMany(events);
    const records = await javaConsoleConsume({
      bootstrap,
      topic: intTopic,
      maxMessages: events.length,
      keyDeserializer: 'integer',
      valueDeserializer: 'integer',
    });
    const got = records.map((r) => [Number(r.key), Number(r.value)]).sort((a, b) => a[0] - b[0]);
    const want = events.map((e) => [e.id, e.count]).sort((a, b) => a[0] - b[0]);
    expect(got).toEqual(want);
  });
});
