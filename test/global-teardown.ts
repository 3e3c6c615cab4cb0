import type { KafkaCluster } from '../tools/kafka/cluster.js';

/** Same key as in test/global-setup.ts (no relative imports here: see its loadHarness()). */
const CLUSTER_KEY = '__kafkaHarnessCluster__';

/**
 * Jest globalTeardown for the e2e project: stops the broker that test/global-setup.ts started
 * (SIGTERM, SIGKILL after 15 s) and deletes its data. A cluster named by KAFKA_BROKERS from
 * outside is left alone.
 */
export default async function globalTeardown(): Promise<void> {
  const store = globalThis as Record<string, unknown>;
  const cluster = store[CLUSTER_KEY] as KafkaCluster | undefined;
  if (!cluster) return;
  delete store[CLUSTER_KEY];
  delete process.env.KAFKA_BROKERS;
  await cluster.stop();
}
