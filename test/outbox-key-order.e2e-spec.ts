import 'reflect-metadata';
import { Body, Controller, Inject, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KafkaProducerModule,
  Outboxed,
  OutboxService,
  PostgresOutboxStore,
  ProducerService,
  SqliteOutboxStore,
  type DeliveryReport,
  type OutboxStore,
} from '../lib/index.js';
import type { EventValue } from './faults/support/checks.js';
import { KafkaCluster } from '../tools/kafka/harness.js';
import { createTopic, uniqueTopic } from './support/kafka-env.js';
import { outboxEventClass, outboxOutcome, until, type Enqueued } from './support/outbox-outcome.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/**
 * Fallback mode under a steady load through a broker outage: 20 keys, one send per key per
 * second, each awaited by its own caller (so several sends of one key are in flight at once),
 * the only broker SIGKILLed for 20 s and restarted, the load going on 15 s after the restart.
 * Once the outbox has drained, an independent consumer reads the topic: every accepted send
 * is there, each key's records are in send order (first copies), and a duplicate is only
 * ever a second copy under the same `x-event-id`.
 */

const KEYS = 20;
const PERIOD_MS = 1000;
const OUTAGE_MS = 20_000;
const AFTER_RESTART_MS = 15_000;

const STEP_SENDER = Symbol('step sender');

/** How a variant sends one event; resolves with the event id that was accepted. */
type SendStep = (value: EventValue) => Promise<string>;

@Controller('steps')
class StepController {
  constructor(
    private readonly producer: ProducerService,
    @Inject(STEP_SENDER) private readonly type: new () => EventValue,
  ) {}

  /** Inside @Outboxed(): staged, published (or stored) once the handler returns. */
  @Post()
  @Outboxed()
  async post(@Body() body: EventValue): Promise<DeliveryReport> {
    return this.producer.send(Object.assign(new this.type(), body));
  }
}

interface Variant {
  readonly name: string;
  store(): OutboxStore;
  readonly http: boolean;
}

describe('outbox fallback: per-key order through a broker outage under steady load', () => {
  let cluster: KafkaCluster;
  let postgres: TestPostgres;
  let dir: string;

  beforeAll(async () => {
    [cluster, postgres] = await Promise.all([KafkaCluster.start({ brokers: 1 }), startPostgres()]);
    dir = mkdtempSync(join(tmpdir(), 'key-order-e2e-'));
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const variants: Variant[] = [
    {
      name: 'send(), SQLite store',
      http: false,
      store: () => new SqliteOutboxStore({ filename: join(dir, 'direct.db') }),
    },
    {
      name: '@Outboxed() handlers over HTTP, SQLite store',
      http: true,
      store: () => new SqliteOutboxStore({ filename: join(dir, 'interceptor.db') }),
    },
    {
      name: 'send(), PostgreSQL store',
      http: false,
      store: () =>
        new PostgresOutboxStore({
          connectionString: postgres.connectionString,
          table: `key_order_${process.pid}`,
          poolSize: 4,
        }),
    },
  ];

  for (const variant of variants) {
    it(`${variant.name}: 0 lost, 0 reordered, duplicates only under the same event id`, async () => {
      const brokers = cluster.bootstrap.split(',');
      const topic = uniqueTopic('e2e-key-order');
      await createTopic(brokers, topic, 3);
      const type = outboxEventClass(topic);

      @Module({
        imports: [
          KafkaProducerModule.forRoot({
            client: { brokers, clientId: 'e2e-key-order' },
            producer: { deliveryTimeoutMs: 5000, lingerMs: 5 },
            outbox: {
              store: variant.store(),
              fallback: true,
              relay: {
                pollIntervalMs: 200,
                backoffMs: 200,
                backoffMaxMs: 2000,
                maxAttempts: Number.POSITIVE_INFINITY,
              },
            },
          }),
        ],
        controllers: variant.http ? [StepController] : [],
        providers: [{ provide: STEP_SENDER, useValue: type }],
      })
      class AppModule {}

      const app: INestApplication = await NestFactory.create(AppModule, {
        logger: ['error'],
      });
      await app.listen(0, '127.0.0.1');
      const producer = app.get(ProducerService);
      const url = `${await app.getUrl()}/steps`;
      const sendStep: SendStep = variant.http
        ? async (value) => {
            const response = await fetch(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(value),
            });
            if (response.status !== 201) throw new Error(`HTTP ${response.status}`);
            return ((await response.json()) as DeliveryReport).eventId;
          }
        : async (value) => (await producer.send(Object.assign(new type(), value))).eventId;

      const accepted: Enqueued[] = [];
      /** How long each accepted send took to settle (acked or stored), ms. */
      const took: number[] = [];
      const rejected: string[] = [];
      const inFlight = new Set<Promise<void>>();
      const next = new Array<number>(KEYS).fill(0);
      const sendOne = (k: number) => {
        const key = `k${String(k).padStart(2, '0')}`;
        const seq = next[k]++;
        const value: EventValue = { id: `${key}#${seq}`, key, seq };
        const at = Date.now();
        const sent = sendStep(value).then(
          (eventId) => {
            accepted.push({ value, eventId, at });
            took.push(Date.now() - at);
          },
          (error: unknown) => void rejected.push(`${value.id}: ${String(error)}`),
        );
        inFlight.add(sent);
        void sent.then(() => inFlight.delete(sent));
      };
      // Each key sends once per PERIOD_MS, the keys spread over the period.
      const timers = Array.from({ length: KEYS }, (_, k) =>
        setTimeout(
          () => {
            sendOne(k);
            timers[k] = setInterval(() => sendOne(k), PERIOD_MS);
          },
          (k * PERIOD_MS) / KEYS,
        ),
      );
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      try {
        await sleep(3000);
        await cluster.kill(cluster.brokers[0].id);
        await sleep(OUTAGE_MS);
        await cluster.restart(cluster.brokers[0].id);
        await sleep(AFTER_RESTART_MS);
      } finally {
        for (const timer of timers) clearInterval(timer);
      }
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      const outbox = app.get(OutboxService);
      const drained = await until(async () => (await outbox.stats())!.backlog === 0, 90_000, 200);
      const unfinished = (await outbox.stats())!.backlog;
      await app.close();

      const outcome = await outboxOutcome(
        `key-order ${variant.name}`,
        brokers,
        topic,
        accepted,
        unfinished,
      );
      console.log(
        `key-order ${variant.name}: sent=${accepted.length + rejected.length} ` +
          `rejected=${rejected.length} slowest send settled in ${Math.max(...took)} ms ` +
          `${rejected.slice(0, 3).join('; ')}`,
      );
      expect(drained).toBe(true);
      expect(rejected).toEqual([]);
      expect(accepted.length).toBeGreaterThan(KEYS * 30);
      expect(outcome.report.lost).toBe(0);
      expect(outcome.report.reordered).toBe(0);
      expect(outcome.wrongIds).toBe(0);
      // No send waits much past its delivery timeout (5 s) for an earlier record of its key.
      expect(Math.max(...took)).toBeLessThan(5000 + 3000);
    }, 240_000);
  }
});
