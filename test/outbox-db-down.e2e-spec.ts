import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import {
  KafkaProducerModule,
  OutboxService,
  PostgresOutboxStore,
  type ClaimOptions,
  type OutboxAddOptions,
  type OutboxRecord,
  type OutboxRow,
  type OutboxStats,
  type OutboxStore,
} from '../lib/index.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import {
  enqueued,
  eventRounds,
  outboxEventClass,
  outboxOutcome,
  until,
  type Enqueued,
} from './support/outbox-outcome.js';
import {
  startRestartablePostgres,
  type RestartablePostgres,
} from './support/restartable-postgres.js';

/**
 * F8 (docs/reliability.md): the database goes down while the relay marks a row published. The
 * PostgreSQL server is really stopped (fast shutdown) at the moment the relay, having had the
 * row acked by Kafka, is about to mark it: the store is the real PostgresOutboxStore, seen
 * through a pass-through that stops the server before forwarding the TRIP_AT-th
 * markPublished. The server comes back DOWN_MS later.
 */
const topic = uniqueTopic('e2e-outbox-db-down');
const DbDownEvent = outboxEventClass(topic);
const KEYS = 12;
const ROUNDS = 20;
const TOTAL = KEYS * ROUNDS;
const TRIP_AT = 60;
const DOWN_MS = 3000;
const LEASE_MS = 2000;
const table = `outbox_db_down_${process.pid}`;

/** The real store, with the server stopped just before one markPublished reaches it. */
class StopsDatabaseOnMark implements OutboxStore {
  readonly durable = true;
  private marks = 0;
  /** The row whose mark found the database down (it was acked by Kafka just before). */
  tripped?: { id: string; error?: unknown };
  /** Rows whose mark failed (with the error) or was refused (lease lost). */
  readonly notMarked = new Map<string, unknown>();
  readonly down: Promise<void>;
  private wentDown!: () => void;

  constructor(
    private readonly inner: PostgresOutboxStore,
    private readonly server: RestartablePostgres,
  ) {
    this.down = new Promise((resolve) => (this.wentDown = resolve));
  }

  async markPublished(
    id: string,
    owner: string,
    result: { partition: number; offset: string },
  ): Promise<boolean> {
    if (++this.marks === TRIP_AT) {
      this.tripped = { id };
      await this.server.stop();
      this.wentDown();
    }
    try {
      const marked = await this.inner.markPublished(id, owner, result);
      if (!marked) this.notMarked.set(id, 'lease lost');
      return marked;
    } catch (error) {
      this.notMarked.set(id, error);
      if (this.tripped?.id === id) this.tripped.error = error;
      throw error;
    }
  }

  init = (): Promise<void> => this.inner.init();
  add = (records: readonly OutboxRecord[], options?: OutboxAddOptions): Promise<void> =>
    this.inner.add(records, options);
  claim = (options: ClaimOptions): Promise<OutboxRow[]> => this.inner.claim(options);
  markFailed = (id: string, owner: string, failure: { error: string; nextAttemptAt: Date }) =>
    this.inner.markFailed(id, owner, failure);
  markDead = (id: string, owner: string, failure: { error: string }) =>
    this.inner.markDead(id, owner, failure);
  hasUnfinished = (topic: string, key: Buffer | null): Promise<boolean> =>
    this.inner.hasUnfinished(topic, key);
  unfinishedKeys = () => this.inner.unfinishedKeys();
  stats = (): Promise<OutboxStats> => this.inner.stats();
  deletePublished = (before: Date): Promise<number> => this.inner.deletePublished(before);
  get = (id: string): Promise<OutboxRow | undefined> => this.inner.get(id);
  close = (): Promise<void> => this.inner.close();
}

describe('F8: the database down while marking a row published', () => {
  const brokers = testBrokers();
  let server: RestartablePostgres;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    server = await startRestartablePostgres();
    await createTopic(brokers, topic, 3);
  });

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await server?.destroy();
  });

  it('the row acked by Kafka but not marked is sent again later with the same event id; 0 lost, per-key order kept', async () => {
    const t0 = Date.now();
    const poolErrors: string[] = [];
    const store = new StopsDatabaseOnMark(
      new PostgresOutboxStore({
        connectionString: server.connectionString,
        table,
        poolSize: 4,
        onPoolError: (error) => poolErrors.push(error.message),
      }),
      server,
    );
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-outbox-db-down' },
          outbox: {
            store,
            fallback: false,
            relay: {
              leaseMs: LEASE_MS,
              batchSize: KEYS,
              pollIntervalMs: 50,
              backoffMs: 100,
              retentionMs: false,
            },
          },
        }),
      ],
    }).compile();
    app = await moduleRef.init();
    const outbox = app.get(OutboxService);
    // One enqueue (one INSERT, rows in order): written before the database goes down.
    const events = eventRounds(DbDownEvent, 'down', KEYS, ROUNDS).flat();
    const accepted: Enqueued[] = enqueued(events, await outbox.enqueue(events));

    let downAt = 0;
    void store.down.then(() => (downAt = Date.now()));
    const wentDown = await until(() => downAt > 0, 60_000, 50);
    expect(wentDown).toBe(true);
    // Down for a while: the relay cannot claim nor mark; then the server is back.
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    await server.start();
    const db = new pg.Pool({ connectionString: server.connectionString, max: 1 });
    db.on('error', () => undefined);
    try {
      const unfinished = async () =>
        Number(
          (
            await db.query<{ n: string }>(
              `SELECT count(*) AS n FROM ${table} WHERE status <> 'PUBLISHED'`,
            )
          ).rows[0].n,
        );
      const drained = await until(async () => (await unfinished()) === 0, 60_000, 200);
      await app.close();
      app = undefined;

      const outcome = await outboxOutcome(
        'F8-db-down-while-marking-published',
        brokers,
        topic,
        accepted,
        await unfinished(),
      );
      const tripped = store.tripped!;
      const { rows } = await db.query<{
        status: string;
        attempts: number;
        kafka_partition: number;
        kafka_offset: string;
      }>(`SELECT status, attempts, kafka_partition, kafka_offset FROM ${table} WHERE id = $1`, [
        tripped.id,
      ]);
      const copies = outcome.copies.get(tripped.id) ?? [];
      console.log(
        `  F8: mark of ${tripped.id} failed with "${String(tripped.error)}"; ${store.notMarked.size} ` +
          `mark(s) failed in all; ${poolErrors.length} idle connection error(s); ${copies.length} copies of it at ` +
          `${copies.map((c) => `${c.partition}@${c.offset}`).join(',')}; ${Date.now() - t0} ms`,
      );

      expect(drained).toBe(true);
      const { report } = outcome;
      expect(report.sent).toBe(TOTAL);
      expect(report.lost).toBe(0);
      expect(report.reordered).toBe(0);
      expect(report.hung).toBe(0);
      expect(report.splitKeys).toBe(0);
      expect(report.foreign).toBe(0);
      expect(outcome.wrongIds).toBe(0);
      // The mark really failed on the stopped server (a connection error, not a refusal).
      expect(String(tripped.error)).toMatch(/ECONNREFUSED|terminat|connect/i);
      // Sent again later with the same event id: two copies at least (every copy carries it:
      // wrongIds is 0), and the row is PUBLISHED where its later copy is.
      expect(copies.length).toBeGreaterThanOrEqual(2);
      expect(rows[0].status).toBe('PUBLISHED');
      expect(rows[0].attempts).toBeGreaterThanOrEqual(2);
      expect(copies.slice(1).map((c) => `${c.partition}@${c.offset}`)).toContain(
        `${rows[0].kafka_partition}@${rows[0].kafka_offset}`,
      );
      // Only rows whose mark failed were sent twice.
      expect(outcome.duplicatedIds.filter((id) => !store.notMarked.has(id))).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
