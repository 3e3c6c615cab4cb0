import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { randomBytes } from 'node:crypto';

/** One record as an independent consumer read it back. */
export interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: string;
  /** The producer id of the record's batch (-1: not idempotent). */
  producerId: string;
  /** The record's sequence number (its batch's first sequence + its offset delta; -1: none). */
  sequence: number;
}

/** The record batch fields kafkajs decodes onto each message (not in its typings). */
interface BatchContext {
  producerId?: string;
  firstSequence?: number;
  firstOffset?: string;
}

/**
 * Reads `count` records of `topics` from the beginning with a fresh kafkajs consumer group
 * (no state shared with the producer under test), then waits `settleMs` more to catch
 * records that should not be there. Rejects if fewer than `count` arrive within `timeoutMs`.
 * `client` adds kafkajs client options (`ssl`, `sasl`) for a secured listener.
 */
export async function readTopic(
  brokers: string[],
  topics: string | string[],
  count: number,
  {
    timeoutMs = 60_000,
    settleMs = 500,
    client = {},
  }: { timeoutMs?: number; settleMs?: number; client?: Partial<KafkaConfig> } = {},
): Promise<ReadRecord[]> {
  const kafka = new Kafka({
    clientId: 'e2e-reader',
    brokers,
    logLevel: logLevel.NOTHING,
    ...client,
  });
  const consumer = kafka.consumer({
    groupId: `e2e-reader-${randomBytes(6).toString('hex')}`,
    maxWaitTimeInMs: 100,
  });
  const records: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topics].flat(), fromBeginning: true });
    let done!: () => void;
    const enough = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, Buffer> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          headers[name] = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
        }
        records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers,
          timestamp: message.timestamp,
          ...batchFields(message),
        });
        if (records.length >= count) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`read ${records.length} of ${count} records from ${String(topics)}`)),
        timeoutMs,
      );
    });
    await Promise.race([enough, timeout]).finally(() => clearTimeout(timer));
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return records;
  } finally {
    await consumer.disconnect();
  }
}

function batchFields(message: { offset: string; batchContext?: BatchContext }) {
  const context = message.batchContext ?? {};
  const first = context.firstSequence ?? -1;
  return {
    producerId: String(context.producerId ?? '-1'),
    sequence:
      first < 0 ? -1 : first + Number(BigInt(message.offset) - BigInt(context.firstOffset ?? 0)),
  };
}

/** Sum of the high watermarks of a topic's partitions: how many records it holds. */
export async function topicRecordCount(
  brokers: string[],
  topic: string,
  client: Partial<KafkaConfig> = {},
): Promise<number> {
  const admin = new Kafka({
    clientId: 'e2e-admin',
    brokers,
    logLevel: logLevel.NOTHING,
    ...client,
  }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
