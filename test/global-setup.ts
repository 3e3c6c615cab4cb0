import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import type { KafkaCluster } from '../tools/kafka/cluster.js';
import type { SchemaRegistryServer } from '../tools/registry/server.js';

/** Where teardown finds the cluster this setup started (both run in jest's main process). */
const CLUSTER_KEY = '__kafkaHarnessCluster__';
/** Where teardown finds the schema registry this setup started. */
const REGISTRY_KEY = '__schemaRegistryServer__';

/**
 * Jest globalSetup for the e2e project: uses KAFKA_BROKERS when it is set (an external or
 * `npm run kafka -- start` cluster), else starts a 1-broker KRaft cluster, exports its bootstrap
 * as KAFKA_BROKERS (the tests run in this process with --runInBand, and workers inherit it) and
 * leaves the handle on globalThis for test/global-teardown.ts.
 */
export default async function globalSetup(): Promise<void> {
  await Promise.all([startKafka(), startRegistry()]);
}

/**
 * Uses SCHEMA_REGISTRY_URL when it is set (any Confluent-compatible registry, or `npm run
 * registry -- start`), else starts Apicurio Registry beside the broker (tools/registry) and
 * exports its Confluent API as SCHEMA_REGISTRY_URL.
 */
async function startRegistry(): Promise<void> {
  const given = process.env.SCHEMA_REGISTRY_URL?.trim();
  if (given) {
    console.log(`\n[e2e] Using SCHEMA_REGISTRY_URL=${given}`);
    return;
  }
  const { SchemaRegistryServer } = await loadHarness('registry', 'server.js');
  const t0 = Date.now();
  const server = await SchemaRegistryServer.start();
  (globalThis as Record<string, unknown>)[REGISTRY_KEY] = server;
  process.env.SCHEMA_REGISTRY_URL = server.url;
  console.log(`\n[e2e] Started Apicurio Registry at ${server.url} in ${Date.now() - t0} ms`);
}

async function startKafka(): Promise<void> {
  const given = process.env.KAFKA_BROKERS?.trim();
  if (given) {
    console.log(`\n[e2e] Using KAFKA_BROKERS=${given}`);
    return;
  }
  const harness = await loadHarness('kafka', 'harness.js');
  const t0 = Date.now();
  const cluster = await harness.KafkaCluster.start({ brokers: 1 });
  (globalThis as Record<string, unknown>)[CLUSTER_KEY] = cluster;
  process.env.KAFKA_BROKERS = cluster.bootstrap;
  await warmUpGroupCoordinator(cluster.bootstrap.split(','));
  console.log(`\n[e2e] Started local Kafka at ${cluster.bootstrap} in ${Date.now() - t0} ms`);
}

/**
 * A fresh broker creates __consumer_offsets on the first group join and answers
 * "coordinator is loading" meanwhile, which kafkajs consumers do not survive. Join one
 * throwaway group here, retrying, so that tests' consumers find a ready coordinator. Specs
 * that start a broker of their own call it too (`client`: TLS and SASL options).
 */
export async function warmUpGroupCoordinator(
  brokers: string[],
  client: Partial<KafkaConfig> = {},
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'e2e-warm-up',
    brokers,
    logLevel: logLevel.NOTHING,
    ...client,
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    // No restart after a crash: kafkajs would restart a crashed runner on a timer even after
    // disconnect(), and that consumer then retries for ever once teardown stops the broker,
    // keeping jest's main process alive. This loop makes a fresh consumer instead.
    const consumer = kafka.consumer({
      groupId: 'e2e-warm-up',
      retry: { restartOnFailure: () => Promise.resolve(false) },
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: ['e2e-warm-up'], fromBeginning: true });
      const joined = new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.GROUP_JOIN, () => resolve());
        consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      });
      await consumer.run({ eachMessage: () => Promise.resolve() });
      await joined;
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
  }
}

/**
 * Imports a harness module (tools/kafka/harness.ts, tools/registry/server.ts). Jest loads this
 * file through Node's own ESM loader, which neither maps `./x.js` to `./x.ts` nor compiles
 * TypeScript, so the harness' sources are transpiled (types erased, no type check) into
 * .build/jest-harness/tools/ and imported from there.
 */
async function loadHarness(
  folder: 'kafka',
  entry: 'harness.js',
): Promise<{ KafkaCluster: typeof KafkaCluster }>;
async function loadHarness(
  folder: 'registry',
  entry: 'server.js',
): Promise<{ SchemaRegistryServer: typeof SchemaRegistryServer }>;
async function loadHarness(folder: string, entry: string): Promise<unknown> {
  const { default: ts } = await import('typescript');
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  // The registry harness imports the Kafka one's helpers: transpile both.
  for (const dir of ['kafka', 'registry']) {
    const src = join(root, 'tools', dir);
    const out = join(root, '.build', 'jest-harness', 'tools', dir);
    mkdirSync(out, { recursive: true });
    for (const file of readdirSync(src)) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts') || file === 'cli.ts') continue;
      const { outputText } = ts.transpileModule(readFileSync(join(src, file), 'utf8'), {
        fileName: file,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: false,
          useDefineForClassFields: false,
        },
      });
      writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText);
    }
  }
  return import(pathToFileURL(join(root, '.build', 'jest-harness', 'tools', folder, entry)).href);
}
