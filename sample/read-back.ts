import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';

/** A record as the sample's independent consumer read it. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** The value's bytes (`value` is their UTF-8 text, which an Avro value is not). */
  bytes: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads `topics` from the beginning with a fresh kafkajs consumer group (nothing shared with
 * the app's producers) until `enough(records)` holds or `timeoutMs` passes, reads on for
 * `settleMs` (to catch a record sent twice), then resolves with what it read: the caller
 * says what is missing.
 */
export async function readBack(
  brokers: string[],
  topics: string[],
  enough: (records: ReadRecord[]) => boolean,
  { timeoutMs = 60000, settleMs = 0 } = {},
): Promise<ReadRecord[]> {
  const kafka = new Kafka({ clientId: 'sample-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `sample-reader-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
  });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: ({ topic, partition, message }) => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(message.headers ?? {})) {
            headers[name] = String(value);
          }
          records.push({
            topic,
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            bytes: message.value,
            headers,
          });
          if (enough(records)) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** One line per record: where it is, its key, headers and value (`value` instead of its text). */
export function describeRecord(r: ReadRecord, value = r.value): string {
  const headers = Object.entries(r.headers)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${r.topic} p${r.partition} @${r.offset} key=${r.key ?? 'null'} [${headers}] ${value ?? 'null'}`;
}
