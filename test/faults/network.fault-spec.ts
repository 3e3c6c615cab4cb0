import type { ReliabilityLevel } from '../../lib/index.js';
import type { KafkaCluster } from '../../tools/kafka/harness.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { uniqueTopic } from '../support/kafka-env.js';
import {
  bootProducer,
  cleanupScenario,
  createFaultTopic,
  EventStream,
  finishScenario,
  print,
  printTable,
  sleep,
  startFaultCluster,
} from './support/scenario.js';

/**
 * docs/reliability.md: F3: a TCP fault proxy between the app and each broker adds latency and resets
 * connections at random. The brokers advertise the proxies on an EXTERNAL listener, so the app
 * only ever talks through them; replication and the independent reader use the direct
 * PLAINTEXT listener, untouched by the faults.
 */

/** Slack on top of the delivery timeout before a send counts as hung (shared 2-core machine). */
const HANG_MARGIN_MS = 5000;
/** How long the network misbehaves while the stream runs. */
const FAULT_WINDOW_MS = 20_000;
/** Per chunk forwarded (about one Kafka request or response): a few resets per second. */
const RESET_PROBABILITY = 0.03;

describe('faults: network resets and latency between the app and the brokers', () => {
  let cluster: KafkaCluster | undefined;
  let proxy: FaultProxy;
  let direct: string[];

  beforeAll(async () => {
    proxy = await FaultProxy.start([1, 2, 3], (id) => cluster?.broker(id).externalPort);
    cluster = await startFaultCluster({ externalAdvertisedPort: (id) => proxy.port(id) });
    direct = cluster.bootstrap.split(',');
  }, 180_000);

  afterEach(async () => {
    proxy.clearFaults();
    await cleanupScenario();
  }, 120_000);

  afterAll(async () => {
    printTable();
    await proxy?.close();
    await cluster?.stop();
  }, 60_000);

  for (const [name, reliability] of [
    ['F3-idempotent', 'all'],
    ['F3-leader', 'leader'],
  ] as [string, ReliabilityLevel][]) {
    it(`${name}: reliability '${reliability}' through proxies that reset connections at random and add latency`, async () => {
      const topic = uniqueTopic(`fault-${name.toLowerCase()}`);
      await createFaultTopic(direct, topic);
      const deliveryTimeoutMs = 30_000;
      const booted = await bootProducer({
        brokers: proxy.bootstrap,
        reliability,
        producer: { deliveryTimeoutMs, requestTimeoutMs: 5000 },
      });
      const stream = new EventStream(booted.producer, topic);
      stream.start(10, 2);
      expect(await stream.waitForAcked(100)).toBe(true);
      const before = { ...proxy.stats };
      proxy.setFaults({ latencyMs: 5, jitterMs: 30, resetProbability: RESET_PROBABILITY });
      await sleep(FAULT_WINDOW_MS);
      proxy.clearFaults();
      const resets = proxy.stats.resets - before.resets;
      const connections = proxy.stats.connections - before.connections;
      const chunks = proxy.stats.chunks - before.chunks;
      print(
        `[fault] ${name}: ${FAULT_WINDOW_MS} ms of faults: ${chunks} chunks forwarded, ` +
          `${resets} connection resets, ${connections} new connections`,
      );
      // A calm stretch so that whatever is being retried gets through.
      const acked = stream.count('acked');
      await stream.waitForAcked(acked + 100, deliveryTimeoutMs);
      const report = await finishScenario(name, stream, booted, {
        checkBrokers: direct,
        hangBoundMs: deliveryTimeoutMs + HANG_MARGIN_MS,
      });

      expect(resets).toBeGreaterThan(5); // the fault really happened
      expect(report.acked).toBeGreaterThan(500);
      // No broker dies here: acks 1 loses nothing either, and nothing may hang.
      expect(report).toMatchObject({ lost: 0, hung: 0, misreported: 0, foreign: 0 });
      if (reliability === 'all') {
        expect(report).toMatchObject({ duplicated: 0, reordered: 0 });
      } else {
        // Retries without idempotence may duplicate (and so reorder): counted and reported.
        expect(Number.isInteger(report.duplicated) && report.duplicated >= 0).toBe(true);
        expect(Number.isInteger(report.reordered) && report.reordered >= 0).toBe(true);
      }
    }, 300_000);
  }
});
