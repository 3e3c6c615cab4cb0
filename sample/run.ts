/**
 * `npm run sample`: starts a local Kafka broker unless KAFKA_BROKERS is set, runs the
 * orders service, sends a few orders through HTTP, reads every record back from Kafka
 * with an independent kafkajs consumer, prints what arrived, and exits 0.
 */
import 'reflect-metadata';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { KafkaCluster } from '../tools/kafka/harness.js';
import { bootstrap } from './main.js';

const TOPICS = ['orders.created', 'orders.metrics', 'orders.audit'];

async function readBack(brokers: string[], expected: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'sample-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `sample-reader-${Date.now()}` });
  const lines: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: TOPICS, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`read ${lines.length} of ${expected} records`)),
      60000,
    );
    void consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        lines.push(describe(topic, partition, message));
        if (lines.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return lines;
}

function describe(topic: string, partition: number, m: KafkaMessage): string {
  const headers = Object.entries(m.headers ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const key = m.key === null ? 'null' : m.key.toString();
  return `${topic} p${partition} @${m.offset} key=${key} [${headers}] ${m.value?.toString()}`;
}

async function main(): Promise<void> {
  let cluster: KafkaCluster | undefined;
  if (!process.env.KAFKA_BROKERS) {
    console.log('KAFKA_BROKERS is unset: starting a local Kafka broker...');
    cluster = await KafkaCluster.start({ brokers: 1 });
    process.env.KAFKA_BROKERS = cluster.bootstrap;
  }
  const brokers = process.env.KAFKA_BROKERS.split(',');
  console.log(`brokers: ${brokers.join(', ')}`);
  const app = await bootstrap(0);
  try {
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
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
      console.log(`POST /orders ${res.status} ${await res.text()}`);
      if (res.status !== 201) throw new Error(`POST /orders answered ${res.status}`);
    }
    const bad = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'x', quantity: 0, tenantId: 'acme' }),
    });
    console.log(`POST /orders (quantity 0) ${bad.status} ${await bad.text()}`);
    console.log('\nWhat arrived in Kafka:');
    for (const line of await readBack(brokers, orders.length * TOPICS.length))
      console.log(`  ${line}`);
  } finally {
    await app.close();
    await cluster?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
