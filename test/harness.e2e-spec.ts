import { Kafka, logLevel } from 'kafkajs';
import {
  javaConsoleConsume,
  javaMurmur2,
  javaPartitionsForKeys,
  javaSerialize,
} from './support/java-tools.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';

// A JVM start costs 1-2 s per Java tool call; the e2e project's testTimeout does not apply
// (jest reads testTimeout only from the root config), so each test names its own.
const JAVA_TIMEOUT = 60_000;

describe('Kafka harness (local broker + Java tools)', () => {
  it(
    'a kafkajs-produced record reads back exactly through the Java console consumer',
    async () => {
      const brokers = testBrokers();
      const topic = uniqueTopic('harness-smoke');
      await createTopic(brokers, topic, 3);
      const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      try {
        await producer.send({
          topic,
          messages: [
            { partition: 0, key: 'k-0', value: 'v-0', headers: { trace: 'abc', 'x-n': '1' } },
            { partition: 2, key: null, value: 'line1\nline2\t|:' },
            { partition: 2, key: 'k-2', value: null, headers: { empty: '' } },
          ],
        });
      } finally {
        await producer.disconnect();
      }

      const records = await javaConsoleConsume({
        bootstrap: brokers.join(','),
        topic,
        maxMessages: 3,
      });
      const byPartitionOffset = [...records].sort(
        (a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset),
      );
      const withoutTimestamps = byPartitionOffset.map((r) => {
        const { partition, offset, key, value, headers } = r;
        return { partition, offset, key, value, headers };
      });
      expect(withoutTimestamps).toEqual([
        {
          partition: 0,
          offset: '0',
          key: 'k-0',
          value: 'v-0',
          headers: { trace: 'abc', 'x-n': '1' },
        },
        { partition: 2, offset: '0', key: null, value: 'line1\nline2\t|:', headers: {} },
        { partition: 2, offset: '1', key: 'k-2', value: null, headers: { empty: '' } },
      ]);
      expect(
        records.every((r) => r.timestampType === 'CreateTime' && Number(r.timestamp) > 0),
      ).toBe(true);

      const bytes = await javaConsoleConsume({
        bootstrap: brokers.join(','),
        topic,
        maxMessages: 1,
        partition: 0,
        keyDeserializer: 'bytearray',
        valueDeserializer: 'bytearray',
      });
      expect(bytes[0]).toMatchObject({ key: Buffer.from('k-0').toString('hex'), value: '762d30' });
    },
    JAVA_TIMEOUT,
  );

  it(
    'Java partitions keys with murmur2 as Kafka does (stable, in range, known values)',
    async () => {
      // Reference hashes from Apache Kafka's own UtilsTest.testMurmur2.
      const known = ['21', 'foobar', 'a-little-bit-long-string', 'abc'].map((s) => Buffer.from(s));
      expect((await javaMurmur2(known)).map((r) => r.hash)).toEqual([
        -973932308, -790332482, -985981536, 479470107,
      ]);
      expect(await javaPartitionsForKeys(known, 100)).toEqual([40, 66, 12, 7]);

      const keys = Array.from({ length: 10_000 }, (_, i) => Buffer.from(`key-${i}`));
      keys.push(Buffer.alloc(0), Buffer.from([0, 0xff, 0x80]));
      const first = await javaPartitionsForKeys(keys, 7);
      expect(first).toHaveLength(keys.length);
      expect(first.every((p) => Number.isInteger(p) && p >= 0 && p < 7)).toBe(true);
      expect(new Set(first).size).toBe(7);
      expect(await javaPartitionsForKeys(keys.slice(0, 50), 7)).toEqual(first.slice(0, 50));
    },
    JAVA_TIMEOUT,
  );

  it(
    "serializes with Java's own serializers",
    async () => {
      const ints = await javaSerialize('integer', [1, -1, 256]);
      expect(ints.map((b) => b.toString('hex'))).toEqual(['00000001', 'ffffffff', '00000100']);
      const strings = await javaSerialize('string', ['', 'héllo', '😀', '\ud83d']);
      expect(strings.map((b) => b.toString('hex'))).toEqual(['', '68c3a96c6c6f', 'f09f9880', '3f']);
    },
    JAVA_TIMEOUT,
  );
});
