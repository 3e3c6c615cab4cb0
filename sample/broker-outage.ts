import type { INestApplication } from '@nestjs/common';
import { OutboxService, SqliteOutboxStore, getOutboxToken } from '../lib/index.js';
import type { KafkaCluster } from '../tools/kafka/harness.js';
import { outboxFile } from './app.module.js';
import { describeRecord, readBack, type ReadRecord } from './read-back.js';

/** An order placed over HTTP while Kafka was down, as its client saw it. */
interface PlacedOrder {
  status: number;
  ms: number;
  tenantId: string;
  orderId: string;
  /** The x-event-id its OrderCreated carries, whenever it reaches Kafka. */
  eventId: string;
}

const OUTAGE_ORDERS = [
  { sku: 'desk-2', quantity: 1, tenantId: 'acme' },
  { sku: 'chair-4', quantity: 4, tenantId: 'acme' },
  { sku: 'pen-9', quantity: 12, tenantId: 'globex' },
];

async function placeOrder(url: string, order: { tenantId: string }): Promise<PlacedOrder> {
  const started = Date.now();
  const res = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(order),
  });
  const body = (await res.json()) as { orderId?: string; delivery?: { eventId: string } };
  return {
    status: res.status,
    ms: Date.now() - started,
    tenantId: order.tenantId,
    orderId: body.orderId ?? '',
    eventId: body.delivery?.eventId ?? '',
  };
}

/** Unfinished rows of the app's two outboxes (SQLite for orders, memory for audit). */
async function backlogs(app: INestApplication): Promise<{ orders: number; audit: number }> {
  const [orders, audit] = await Promise.all([
    app.get(OutboxService).stats(),
    app.get<string, OutboxService>(getOutboxToken('audit')).stats(),
  ]);
  return { orders: orders?.backlog ?? 0, audit: audit?.backlog ?? 0 };
}

/** Where each order's OrderCreated is in the outbox file, read through a store of our own. */
async function outboxRows(placed: PlacedOrder[]): Promise<string[]> {
  const store = new SqliteOutboxStore({ filename: outboxFile() });
  await store.init();
  try {
    return await Promise.all(
      placed.map(async ({ orderId, eventId }) => {
        const row = await store.get(eventId);
        const where =
          row?.status === 'PUBLISHED' ? ` p${row.kafkaPartition} @${row.kafkaOffset}` : '';
        return `order ${orderId}: OrderCreated ${eventId} ${row ? row.status + where : 'NOT in the outbox'}`;
      }),
    );
  } finally {
    await store.close();
  }
}

/**
 * Compares what was sent per key (event ids in send order) with what a consumer read:
 * ids that never arrived, ids that arrived more than once (a retry after a timeout; same
 * x-event-id, so consumers dedupe), and keys whose events arrived out of order.
 */
function compare(sent: Map<string, string[]>, read: ReadRecord[]) {
  const missing: string[] = [];
  const duplicated: string[] = [];
  const reordered: string[] = [];
  for (const [key, ids] of sent) {
    // A key lives on one partition, and the consumer reads a partition in offset order.
    const arrived = read.filter((r) => r.key === key).map((r) => r.headers['x-event-id']);
    missing.push(...ids.filter((id) => !arrived.includes(id)));
    duplicated.push(...ids.filter((id) => arrived.indexOf(id) !== arrived.lastIndexOf(id)));
    const firsts = arrived.filter((id, i) => ids.includes(id) && arrived.indexOf(id) === i);
    if (firsts.join() !== ids.filter((id) => firsts.includes(id)).join()) reordered.push(key);
  }
  return { missing, duplicated, reordered };
}

/**
 * The second part of `npm run sample`, when it started the broker itself: the broker is
 * killed, orders keep coming in over HTTP and get their 201 (the `@Outboxed()` handler's
 * events go to the outbox), the broker restarts on the same port and data, the relay
 * publishes what waited, and an independent consumer finds every order. Resolves with
 * whether every order arrived, in order per key.
 */
export async function demoBrokerOutage(
  app: INestApplication,
  url: string,
  cluster: KafkaCluster,
): Promise<boolean> {
  const brokers = cluster.bootstrap.split(',');
  const { id, port } = cluster.brokers[0];
  console.log(`\n--- Kafka goes down: the broker on 127.0.0.1:${port} is killed (SIGKILL) ---`);
  await cluster.kill(id);

  const placed = await Promise.all(OUTAGE_ORDERS.map((order) => placeOrder(url, order)));
  for (const p of placed) console.log(`POST /orders ${p.status} in ${p.ms} ms: order ${p.orderId}`);
  if (placed.some((p) => p.status !== 201)) {
    console.log('FAILED: an order was refused while Kafka was down');
    return false;
  }
  const waiting = await backlogs(app);
  console.log(
    `All ${placed.length} answered 201 with Kafka down: their events were deferred to the outbox. ` +
      `Backlog: ${waiting.orders} row(s) in ${outboxFile()}, ${waiting.audit} in the audit ` +
      "producer's memory outbox (metrics are fire-and-forget, acks 0: any may be lost).",
  );
  for (const line of await outboxRows(placed)) console.log(`  ${line}`);

  console.log(`\n--- Kafka comes back: the broker restarts on 127.0.0.1:${port}, same data ---`);
  const restarted = Date.now();
  await cluster.restart(id);
  const ready = Date.now();
  console.log(`broker ready in ${ready - restarted} ms`);
  let left = waiting;
  while (left.orders + left.audit > 0 && Date.now() < ready + 60000) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    left = await backlogs(app);
  }
  console.log(
    left.orders + left.audit === 0
      ? `the relay emptied both outboxes ${Date.now() - ready} ms after the broker was ready`
      : `the outboxes still hold ${left.orders} + ${left.audit} row(s) after 60 s`,
  );
  for (const line of await outboxRows(placed)) console.log(`  ${line}`);

  // The relay marking rows PUBLISHED is not the proof: read them back with our own consumer.
  const sent = new Map(placed.map((p) => [p.orderId, [p.eventId]]));
  const auditKeys = placed.map((p) => `${p.tenantId}:${p.orderId}`);
  const ours = (r: ReadRecord) =>
    r.topic === 'orders.created' ? sent.has(r.key ?? '') : auditKeys.includes(r.key ?? '');
  const all = (read: ReadRecord[]) =>
    placed.every((p) => read.some((r) => r.headers['x-event-id'] === p.eventId)) &&
    auditKeys.every((key) => read.some((r) => r.key === key));
  const records = (
    await readBack(brokers, ['orders.created', 'orders.audit'], (read) => all(read.filter(ours)), {
      settleMs: 1000,
    })
  ).filter(ours);
  console.log('\nWhat arrived in Kafka for the orders placed while it was down:');
  for (const r of records) console.log(`  ${describeRecord(r)}`);

  const created = compare(
    sent,
    records.filter((r) => r.topic === 'orders.created'),
  );
  const noAudit = auditKeys.filter((key) => !records.some((r) => r.key === key));
  if (created.missing.length + created.reordered.length + noAudit.length > 0) {
    console.log(
      `FAILED: OrderCreated missing: ${created.missing.join(', ') || 'none'}; ` +
        `out of order: ${created.reordered.join(', ') || 'none'}; ` +
        `audit record missing: ${noAudit.join(', ') || 'none'}`,
    );
    return false;
  }
  const twice = created.duplicated.length
    ? `; ${created.duplicated.length} arrived twice (an attempt that timed out while Kafka was ` +
      'down was still delivered, then retried; same x-event-id, so consumers dedupe)'
    : ', each once';
  console.log(
    `All ${placed.length} orders arrived once Kafka was back, with the event ids their POSTs ` +
      `returned, in order per key${twice}. So did their ${auditKeys.length} audit records.`,
  );
  return true;
}
