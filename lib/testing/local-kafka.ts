import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Options of {@link startLocalKafka}. */
export interface LocalKafkaOptions {
  /** Combined broker+controller nodes: 1 or 3. Default 1. */
  brokers?: 1 | 3;
  /** server.properties entries over the defaults (e.g. `{ 'min.insync.replicas': '2' }`). Default none. */
  brokerConfig?: Record<string, string>;
  /** JVM heap per broker in MiB. Default 512. */
  heapMb?: number;
}

/** A running local Kafka cluster. */
export interface LocalKafka {
  /** The bootstrap addresses, `host:port` each (pass them as `client.brokers`). */
  readonly brokers: string[];
  /** The same, comma-separated (the usual `KAFKA_BROKERS` form). */
  readonly bootstrap: string;
  /** Stops every broker and deletes the cluster's data. */
  stop(): Promise<void>;
}

interface Harness {
  KafkaCluster: {
    start(options: {
      brokers?: number;
      brokerConfig?: Record<string, string>;
      heapMb?: number;
    }): Promise<{ bootstrap: string; stop(): Promise<void> }>;
  };
}

/**
 * The harness: compiled beside this module in the package (dist/tools/kafka), or the
 * TypeScript sources in the repository (tools/kafka, under ts-jest).
 */
function harnessSpecifier(): string {
  const compiled = new URL('../tools/kafka/harness.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return compiled.href;
  const source = fileURLToPath(new URL('../../tools/kafka/harness.ts', import.meta.url));
  if (existsSync(source)) return source;
  throw new Error(
    'startLocalKafka: the Kafka harness (tools/kafka) is not installed with this package',
  );
}

/**
 * Starts a real Apache Kafka 4.1 cluster (KRaft, no Docker) on free 127.0.0.1 ports, for your
 * own e2e tests: the harness the module's tests use. Needs Java 17+ and Maven on PATH; the
 * Kafka jars are fetched from Maven Central on first use into `.kafka/lib` of the package.
 * Brokers die with the process if `stop()` is not called. Takes about 10-20 s.
 */
export async function startLocalKafka(options: LocalKafkaOptions = {}): Promise<LocalKafka> {
  const brokers = options.brokers ?? 1;
  if (brokers !== 1 && brokers !== 3) {
    throw new RangeError(`startLocalKafka: brokers must be 1 or 3, not ${String(brokers)}`);
  }
  const harness = (await import(harnessSpecifier())) as Harness;
  const cluster = await harness.KafkaCluster.start({
    brokers,
    brokerConfig: options.brokerConfig,
    heapMb: options.heapMb,
  });
  return {
    bootstrap: cluster.bootstrap,
    brokers: cluster.bootstrap.split(','),
    stop: () => cluster.stop(),
  };
}
