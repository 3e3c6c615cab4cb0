import type { KafkaCluster } from '../tools/kafka/cluster.js';
import type { SchemaRegistryServer } from '../tools/registry/server.js';

/** Same keys as in test/global-setup.ts (no relative imports here: see its loadHarness()). */
const CLUSTER_KEY = '__kafkaHarnessCluster__';
const REGISTRY_KEY = '__schemaRegistryServer__';

/**
 * Jest globalTeardown for the e2e project: stops the broker that test/global-setup.ts started
 * (SIGTERM, SIGKILL after 15 s) and deletes its data, and the schema registry it started. A
 * cluster named by KAFKA_BROKERS, or a registry by SCHEMA_REGISTRY_URL, from outside is left
 * alone.
 */
export default async function globalTeardown(): Promise<void> {
  const store = globalThis as Record<string, unknown>;
  const registry = store[REGISTRY_KEY] as SchemaRegistryServer | undefined;
  delete store[REGISTRY_KEY];
  if (registry) delete process.env.SCHEMA_REGISTRY_URL;
  await Promise.all([registry?.stop(), stopKafka(store)]);
}

async function stopKafka(store: Record<string, unknown>): Promise<void> {
  const cluster = store[CLUSTER_KEY] as KafkaCluster | undefined;
  if (!cluster) return;
  delete store[CLUSTER_KEY];
  delete process.env.KAFKA_BROKERS;
  await cluster.stop();
}
