import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { parseBrokers } from '../../tools/kafka/config.js';

/**
 * The brokers the e2e tests talk to, from KAFKA_BROKERS (set by test/global-setup.ts, or by you
 * for an external cluster, e.g. `export $(npm run -s kafka -- start)`).
 */
export function testBrokers(): string[] {
  const brokers = parseBrokers(process.env.KAFKA_BROKERS);
  if (!brokers) {
    throw new Error(
      'KAFKA_BROKERS is not set: run e2e tests through the jest "e2e" project (its globalSetup ' +
        'starts a broker) or export KAFKA_BROKERS=host:port[,host:port] of a running cluster.',
    );
  }
  return brokers;
}

/**
 * A topic name no other test uses: `prefix` (invalid characters replaced by `-`) plus a
 * time+random suffix. Topics are never reused, so tests need no cleanup or ordering.
 */
export function uniqueTopic(prefix = 'test'): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 200);
  return `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Creates a topic with an explicit partition count (auto-creation would use the broker default
 * of 3) and waits until every partition has a leader, so the first produce does not race the
 * creation. Does nothing if the topic already exists with a leader on every partition.
 * `client` adds kafkajs client options (`ssl`, `sasl`) for a secured listener.
 */
export async function createTopic(
  brokers: string[],
  topic: string,
  partitions: number,
  replicationFactor = 1,
  client: Partial<KafkaConfig> = {},
): Promise<void> {
  const admin = new Kafka({
    clientId: 'e2e-admin',
    brokers,
    logLevel: logLevel.NOTHING,
    ...client,
  }).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      timeout: 30_000,
      topics: [{ topic, numPartitions: partitions, replicationFactor }],
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = topics[0]?.partitions ?? [];
      if (parts.length === partitions && parts.every((p) => p.leader >= 0)) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic} has no leaders after 30 s`);
      await new Promise((ok) => setTimeout(ok, 100));
    }
  } finally {
    await admin.disconnect();
  }
}
