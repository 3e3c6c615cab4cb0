import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import kafkajs, { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import {
  compressionType,
  ensureCodec,
  isCodecReady,
  type CompressionCodec,
} from '../lib/compression/compression-registry.js';
import { runJava } from '../tools/kafka/java.js';
import { javaConsoleConsume } from './support/java-tools.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';

/*
 * Every codec end to end against a real broker: kafkajs with our codecs → broker → kafkajs
 * consumer and Kafka's Java console consumer; Kafka's Java console producer → broker → kafkajs
 * consumer with our codecs. The broker decompresses every compressed v2 batch it accepts (to
 * validate it), so an accepted produce is already a Java-side check of our bytes; the log
 * segment is then read to confirm the batch is stored with the codec it was sent with.
 */

// A JVM start costs 1-2 s per Java tool call; each test names its own timeout.
const TIMEOUT = 120_000;
const CODECS: readonly CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

interface Rec {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** JSON-ish event text, about 600 bytes, compressible about as much as real events. */
function eventValue(codec: string, i: number): string {
  const h = (n: number) => createHash('sha1').update(`${codec}-${i}-${n}`).digest('hex');
  return JSON.stringify({
    orderId: `order-${h(0).slice(0, 12)}`,
    seq: i,
    codec,
    customer: { id: `c-${h(1).slice(0, 8)}`, tier: ['gold', 'silver', 'bronze'][i % 3] },
    items: Array.from({ length: 1 + (i % 4) }, (_, k) => ({
      sku: `SKU-${h(2 + k).slice(0, 6)}`,
      qty: 1 + ((i + k) % 5),
      price: ((i * 37 + k * 11) % 10_000) / 100,
    })),
    note: 'lorem ipsum dolor sit amet '.repeat(1 + (i % 8)),
    createdAt: new Date(1_700_000_000_000 + i * 1_000).toISOString(),
  });
}

/** 300 events (about 170 KiB: several LZ4 and snappy-java blocks in one batch). */
function events(codec: string): Rec[] {
  return Array.from({ length: 300 }, (_, i) => ({
    key: `key-${i}`,
    value: eventValue(codec, i),
    headers: {},
  }));
}

async function produceWithKafkajs(
  brokers: string[],
  topic: string,
  codec: CompressionCodec,
  batches: Rec[][],
): Promise<void> {
  const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    for (const batch of batches) {
      await producer.send({
        topic,
        compression: compressionType(codec),
        messages: batch.map((r) => ({ ...r, partition: 0 })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Reads `count` records with a kafkajs consumer (fresh group, from the beginning). */
async function consumeWithKafkajs(brokers: string[], topic: string, count: number): Promise<Rec[]> {
  const consumer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: uniqueTopic('compression-e2e'),
  });
  await consumer.connect();
  const got: KafkaMessage[] = [];
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`kafkajs read ${got.length}/${count} records of ${topic}`)),
        60_000,
      );
      // A record batch the codec cannot read crashes the consumer: fail with its error.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        clearTimeout(timer);
        reject(payload.error);
      });
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push(message);
            if (got.length === count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got.map((m) => ({
    key: m.key?.toString() ?? null,
    value: m.value?.toString() ?? null,
    headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
  }));
}

async function consumeWithJava(brokers: string[], topic: string, count: number): Promise<Rec[]> {
  const records = await javaConsoleConsume({
    bootstrap: brokers.join(','),
    topic,
    maxMessages: count,
  });
  return records.map(({ key, value, headers }) => ({ key, value, headers }));
}

/** Kafka's ConsoleProducer (the Java producer) with `compression.type` set to `codec`. */
async function produceWithJava(
  brokers: string[],
  topic: string,
  codec: CompressionCodec,
  records: Rec[],
): Promise<void> {
  const stdin = records.map((r) => `${r.key}\t${r.value}\n`).join('');
  await runJava(
    [
      'org.apache.kafka.tools.ConsoleProducer',
      '--bootstrap-server',
      brokers.join(','),
      '--topic',
      topic,
      '--compression-codec',
      codec,
      '--property',
      'parse.key=true',
      '--producer-property',
      'linger.ms=1000',
      '--producer-property',
      'batch.size=1048576',
    ],
    { stdin, timeoutMs: 60_000 },
  );
}

interface StoredBatch {
  /** The compression bits of the batch attributes (0 none ... 4 zstd). */
  codec: number;
  recordCount: number;
  /** The (compressed) records section. */
  records: Buffer;
}

/**
 * The record batches of partition 0 as the broker stored them, read from its first log segment,
 * or undefined when the broker's log dir is not on this machine (an external KAFKA_BROKERS).
 */
async function storedBatches(brokers: string[], topic: string): Promise<StoredBatch[] | undefined> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  let dirs: string[];
  try {
    const { brokers: nodes } = await admin.describeCluster();
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.BROKER,
          name: String(nodes[0].nodeId),
          configNames: ['log.dirs', 'log.dir'],
        },
      ],
    });
    dirs = resources[0].configEntries.flatMap((e) => (e.configValue ?? '').split(','));
  } finally {
    await admin.disconnect();
  }
  const segment = dirs
    .map((d) => join(d.trim(), `${topic}-0`, '00000000000000000000.log'))
    .find((f) => existsSync(f));
  if (!segment) return undefined;
  const log = readFileSync(segment);
  const batches: StoredBatch[] = [];
  // baseOffset(8) batchLength(4) | leaderEpoch(4) magic(1) crc(4) attributes(2) ... records
  for (let pos = 0; pos + 12 <= log.length;) {
    const end = pos + 12 + log.readInt32BE(pos + 8);
    if (end > log.length) break;
    expect(log.readInt8(pos + 16)).toBe(2);
    batches.push({
      codec: log.readInt16BE(pos + 21) & 0x07,
      recordCount: log.readInt32BE(pos + 57),
      records: log.subarray(pos + 61, end),
    });
    pos = end;
  }
  return batches;
}

/** What the start of a Java-written records section looks like for each codec. */
const JAVA_MAGIC: Partial<Record<CompressionCodec, string>> = {
  gzip: '1f8b',
  snappy: '82534e4150505900', // snappy-java's xerial stream header
  lz4: '04224d186040', // LZ4 frame, FLG 0x60 (independent blocks), BD 0x40 (64 KiB blocks)
  zstd: '28b52ffd',
};

describe('compression end to end (real broker, Java producer and consumer)', () => {
  let brokers: string[];

  beforeAll(async () => {
    brokers = testBrokers();
    await Promise.all(CODECS.map((c) => ensureCodec(c)));
    expect(CODECS.every(isCodecReady)).toBe(true);
  });

  describe.each(CODECS)('%s', (codec) => {
    it(
      'kafkajs-produced batches read back exactly with kafkajs and the Java console consumer',
      async () => {
        const topic = uniqueTopic(`compression-${codec}`);
        await createTopic(brokers, topic, 1);
        const extra: Rec[] = [
          { key: 'unicode', value: 'ünïcödé ✓ 日本語', headers: { trace: 'abc', 'x-n': '1' } },
          { key: null, value: 'keyless', headers: {} },
          { key: 'tombstone', value: null, headers: {} },
        ];
        const sent = [...events(codec), ...extra];
        await produceWithKafkajs(brokers, topic, codec, [sent.slice(0, 300), extra]);

        expect(await consumeWithKafkajs(brokers, topic, sent.length)).toEqual(sent);
        expect(await consumeWithJava(brokers, topic, sent.length)).toEqual(sent);

        const stored = await storedBatches(brokers, topic);
        if (stored) {
          expect(stored.map((b) => [b.codec, b.recordCount])).toEqual([
            [compressionType(codec), 300],
            [compressionType(codec), 3],
          ]);
        } else {
          console.warn(`broker log dir not local: stored codec of ${topic} not checked`);
        }
      },
      TIMEOUT,
    );

    it(
      'Java-produced batches read back exactly with kafkajs',
      async () => {
        const topic = uniqueTopic(`compression-java-${codec}`);
        await createTopic(brokers, topic, 1);
        const sent = events(`java-${codec}`);
        await produceWithJava(brokers, topic, codec, sent);

        const stored = await storedBatches(brokers, topic);
        if (stored) {
          expect(stored.length).toBeGreaterThan(0);
          expect(stored.reduce((n, b) => n + b.recordCount, 0)).toBe(sent.length);
          for (const batch of stored) {
            expect(batch.codec).toBe(compressionType(codec));
            const magic = JAVA_MAGIC[codec];
            if (magic)
              expect(batch.records.subarray(0, magic.length / 2).toString('hex')).toBe(magic);
          }
        } else {
          console.warn(`broker log dir not local: stored codec of ${topic} not checked`);
        }

        expect(await consumeWithKafkajs(brokers, topic, sent.length)).toEqual(sent);
      },
      TIMEOUT,
    );
  });
});
