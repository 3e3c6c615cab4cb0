import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { KafkaProducerModule, OutboxService, PostgresOutboxStore } from '../lib/index.js';
import { createTopic, testBrokers, uniqueTopic } from './support/kafka-env.js';
import {
  enqueued,
  eventRounds,
  outboxEventClass,
  outboxOutcome,
  until,
  type Enqueued,
} from './support/outbox-outcome.js';
import { startPostgres, type TestPostgres } from './support/postgres.js';

/**
 * F7 (docs/reliability.md): two app instances, each a Nest app with its own ProducerService,
 * Kafka producer and outbox relay, on one PostgreSQL outbox table; both write events
 * (OutboxService.enqueue) while both relays publish. A trigger on the table records every
 * lease and every publish in an audit table, so what each relay did is known from the
 * database, and what was published is read back from the topic.
 */
const topic = uniqueTopic('e2e-outbox-two-relays');
const TwoRelaysEvent = outboxEventClass(topic);
const KEYS = 24;
const ROUNDS = 20;
const TOTAL = KEYS * ROUNDS;
const table = `outbox_two_relays_${process.pid}`;

interface AuditRow {
  id: string;
  seq: number;
  key: string;
  event: 'claim' | 'published';
  owner: string;
  at: Date;
  lease_until: Date | null;
}

describe('F7: two relays (two app instances) on one PostgreSQL outbox', () => {
  const brokers = testBrokers();
  let server: TestPostgres;
  let db: pg.Pool;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    db = new pg.Pool({ connectionString: server.connectionString, max: 2 });
    db.on('error', () => undefined);
    await createTopic(brokers, topic, 3);
    // The table as the store creates it, then the audit trigger on it.
    const store = new PostgresOutboxStore({ connectionString: server.connectionString, table });
    await store.init();
    await store.close();
    await db.query(`
      CREATE TABLE ${table}_audit (
        id uuid NOT NULL, seq bigint NOT NULL, key bytea, event text NOT NULL, owner text,
        at timestamptz NOT NULL DEFAULT clock_timestamp(), lease_until timestamptz);
      CREATE FUNCTION ${table}_audit() RETURNS trigger AS $$
      BEGIN
        IF NEW.status = 'PROCESSING' THEN
          INSERT INTO ${table}_audit (id, seq, key, event, owner, lease_until)
            VALUES (NEW.id, NEW.seq, NEW.key, 'claim', NEW.locked_by, NEW.locked_until);
        ELSIF NEW.status = 'PUBLISHED' AND OLD.status = 'PROCESSING' THEN
          INSERT INTO ${table}_audit (id, seq, key, event, owner)
            VALUES (NEW.id, NEW.seq, NEW.key, 'published', OLD.locked_by);
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql;
      CREATE TRIGGER ${table}_audit AFTER UPDATE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ${table}_audit();`);
  });

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    await db?.end();
    await server?.stop();
  });

  const boot = async (name: string) => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: `e2e-outbox-${name}` },
          outbox: {
            store: new PostgresOutboxStore({
              connectionString: server.connectionString,
              table,
              poolSize: 4,
            }),
            fallback: false,
            // Small batches, so that the two relays take turns on the keys.
            relay: { owner: name, batchSize: 8, pollIntervalMs: 20, retentionMs: false },
          },
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    apps.push(app);
    return app;
  };

  it('all rows published once, no row leased or published twice within a lease, one row per key in flight, per-key order kept', async () => {
    const t0 = Date.now();
    const [a, b] = await Promise.all([boot('relay-a'), boot('relay-b')]);
    const outboxes = [a.get(OutboxService), b.get(OutboxService)];
    // Both instances write (one round per call, alternating) while both relays publish.
    const accepted: Enqueued[] = [];
    const rounds = eventRounds(TwoRelaysEvent, 'two', KEYS, ROUNDS);
    for (const [i, round] of rounds.entries()) {
      accepted.push(...enqueued(round, await outboxes[i % 2].enqueue(round)));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const backlog = async () => (await outboxes[0].stats())!.backlog;
    const drained = await until(async () => (await backlog()) === 0, 60_000, 100);
    for (const app of apps.splice(0)) await app.close();

    const unfinished = Number(
      (
        await db.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${table} WHERE status <> 'PUBLISHED'`,
        )
      ).rows[0].n,
    );
    const outcome = await outboxOutcome(
      'F7-two-relays-one-postgres-outbox',
      brokers,
      topic,
      accepted,
      unfinished,
    );
    const { rows: audit } = await db.query<AuditRow>(
      `SELECT id, seq::int AS seq, encode(key, 'hex') AS key, event, owner, at, lease_until
         FROM ${table}_audit ORDER BY at`,
    );
    const claims = audit.filter((r) => r.event === 'claim');
    const publishes = audit.filter((r) => r.event === 'published');
    const byOwner = (rows: AuditRow[], owner: string) => rows.filter((r) => r.owner === owner);
    console.log(
      `  F7: relay-a leased ${byOwner(claims, 'relay-a').length} and published ` +
        `${byOwner(publishes, 'relay-a').length}, relay-b leased ${byOwner(claims, 'relay-b').length} ` +
        `and published ${byOwner(publishes, 'relay-b').length}, ${Date.now() - t0} ms`,
    );

    expect(drained).toBe(true);
    const { report } = outcome;
    expect(report.sent).toBe(TOTAL);
    expect(report.lost).toBe(0);
    expect(report.duplicated).toBe(0);
    expect(report.reordered).toBe(0);
    expect(report.hung).toBe(0);
    expect(report.splitKeys).toBe(0);
    expect(report.foreign).toBe(0);
    expect(outcome.wrongIds).toBe(0);

    // Both instances' relays did part of the work.
    expect(byOwner(publishes, 'relay-a').length).toBeGreaterThan(0);
    expect(byOwner(publishes, 'relay-b').length).toBeGreaterThan(0);
    // Each row leased once and published once, by the relay that leased it, within its lease.
    expect(claims).toHaveLength(TOTAL);
    expect(new Set(claims.map((r) => r.id)).size).toBe(TOTAL);
    expect(publishes).toHaveLength(TOTAL);
    const claimOf = new Map(claims.map((r) => [r.id, r]));
    for (const published of publishes) {
      const claim = claimOf.get(published.id)!;
      expect(published.owner).toBe(claim.owner);
      expect(published.at.getTime()).toBeLessThanOrEqual(claim.lease_until!.getTime());
    }
    // One row per key in flight: a key's next row is leased only after its previous row was
    // published, in seq order.
    const publishedAt = new Map(publishes.map((r) => [r.id, r.at.getTime()]));
    const keys = new Map<string, AuditRow[]>();
    for (const claim of claims) keys.set(claim.key, [...(keys.get(claim.key) ?? []), claim]);
    expect(keys.size).toBe(KEYS);
    for (const sequence of keys.values()) {
      for (let i = 1; i < sequence.length; i++) {
        expect(sequence[i].seq).toBeGreaterThan(sequence[i - 1].seq);
        expect(sequence[i].at.getTime()).toBeGreaterThanOrEqual(
          publishedAt.get(sequence[i - 1].id)!,
        );
      }
    }
    // Each row's recorded partition and offset is where its record is.
    const { rows } = await db.query<{ id: string; kafka_partition: number; kafka_offset: string }>(
      `SELECT id, kafka_partition, kafka_offset FROM ${table}`,
    );
    const misplaced = rows.filter((row) => {
      const [copy] = outcome.copies.get(row.id) ?? [];
      return copy?.partition !== row.kafka_partition || copy?.offset !== row.kafka_offset;
    });
    expect(misplaced).toEqual([]);
  });
});
