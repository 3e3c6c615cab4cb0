/**
 * `npm run sample`: starts a local Kafka broker unless KAFKA_BROKERS is set and a local
 * Apicurio Registry unless SCHEMA_REGISTRY_URL is set, runs the orders service, sends a few
 * orders through HTTP, reads every record back from Kafka with an independent kafkajs
 * consumer and prints what arrived (the Avro ones decoded by the registry's schema), and
 * checks that the enricher (sample/enricher) wrote each order to orders.enriched exactly once,
 * in a transaction with its consumer offsets. Then, if it started the
 * broker itself, kills it, places orders while it is down, restarts it and checks that
 * those orders arrived too (broker-outage.ts). Exits 0 if all went as described, 1 if not.
 */
import 'reflect-metadata';
import { KafkaCluster } from '../tools/kafka/harness.js';
import { SchemaRegistryServer } from '../tools/registry/harness.js';
import { decodeAvro } from './avro-decode.js';
import { demoBrokerOutage } from './broker-outage.js';
import { bootstrap } from './main.js';
import { describeRecord, readBack, type ReadRecord } from './read-back.js';

const TOPICS = ['orders.created', 'orders.created.avro', 'orders.metrics', 'orders.audit'];

async function main(): Promise<void> {
  let cluster: KafkaCluster | undefined;
  let registry: SchemaRegistryServer | undefined;
  const startKafka = async () => {
    if (process.env.KAFKA_BROKERS) return;
    console.log('KAFKA_BROKERS is unset: starting a local Kafka broker...');
    cluster = await KafkaCluster.start({ brokers: 1 });
    process.env.KAFKA_BROKERS = cluster.bootstrap;
  };
  const startRegistry = async () => {
    if (process.env.SCHEMA_REGISTRY_URL) return;
    console.log('SCHEMA_REGISTRY_URL is unset: starting a local Apicurio Registry...');
    registry = await SchemaRegistryServer.start();
    process.env.SCHEMA_REGISTRY_URL = registry.url;
  };
  try {
    await Promise.all([startKafka(), startRegistry()]);
    await demo(cluster);
  } finally {
    await Promise.all([cluster?.stop(), registry?.stop()]);
  }
}

async function demo(cluster: KafkaCluster | undefined): Promise<void> {
  const brokers = process.env.KAFKA_BROKERS!.split(',');
  const registryUrl = process.env.SCHEMA_REGISTRY_URL!;
  console.log(`brokers: ${brokers.join(', ')}; schema registry: ${registryUrl}`);
  const app = await bootstrap(0, true);
  try {
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const placed: string[] = [];
    const orders = [
      { sku: 'book-1', quantity: 1, tenantId: 'acme' },
      { sku: 'lamp-7', quantity: 2, tenantId: 'acme' },
      { sku: 'mug-3', quantity: 5, tenantId: 'globex' },
    ];
    for (const order of orders) {
      const res = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order),
      });
      const body = await res.text();
      console.log(`POST /orders ${res.status} ${body}`);
      if (res.status !== 201) throw new Error(`POST /orders answered ${res.status}`);
      placed.push((JSON.parse(body) as { orderId: string }).orderId);
    }
    const bad = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'x', quantity: 0, tenantId: 'acme' }),
    });
    console.log(`POST /orders (quantity 0) ${bad.status} ${await bad.text()}`);
    console.log('\nWhat arrived in Kafka:');
    const expected = orders.length * TOPICS.length;
    const records = await readBack(brokers, TOPICS, (read) => read.length >= expected);
    for (const r of records) {
      if (r.topic !== 'orders.created.avro') {
        console.log(`  ${describeRecord(r)}`);
        continue;
      }
      const { schemaId, value } = await decodeAvro(registryUrl, r.bytes!);
      console.log(
        `  ${describeRecord(r, `Avro, schema id ${schemaId}: ${JSON.stringify(value)}`)}`,
      );
    }
    if (records.length < expected) throw new Error(`read ${records.length} of ${expected} records`);
    await checkEnriched(brokers, placed);
    if (!cluster) {
      console.log(
        '\nKAFKA_BROKERS is set: skipping the broker-down part, which kills and restarts the ' +
          'broker that `npm run sample` starts itself (this cluster is not ours to stop).',
      );
    } else if (!(await demoBrokerOutage(app, url, cluster))) {
      throw new Error('an order placed while Kafka was down did not arrive');
    }
  } finally {
    await app.close();
  }
}

/**
 * The enricher (sample/enricher) turned each placed order into exactly one OrderEnriched, as
 * a read_committed consumer sees `orders.enriched`.
 */
async function checkEnriched(brokers: string[], orderIds: string[]): Promise<void> {
  console.log('\nWhat the enricher wrote (consume-transform-produce, one transaction per batch):');
  const mine = (records: ReadRecord[]) =>
    records.filter((r) => orderIds.includes(JSON.parse(r.value!).orderId as string));
  const records = mine(
    await readBack(
      brokers,
      ['orders.enriched'],
      (read) => new Set(mine(read).map((r) => r.key)).size >= orderIds.length,
      { settleMs: 1000 },
    ),
  );
  for (const r of records) console.log(`  ${describeRecord(r)}`);
  for (const id of orderIds) {
    const copies = records.filter((r) => r.key === id).length;
    if (copies !== 1) throw new Error(`order ${id} was enriched ${copies} times, not once`);
  }
  console.log(`each of the ${orderIds.length} orders was enriched exactly once`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
