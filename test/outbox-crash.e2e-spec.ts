import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { KafkaProducerModule, OutboxService, PostgresOutboxStore } from '../lib/index.js';
import { ChildScript, exited } from './support/child-script.js';
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
 * F6 (docs/reliability.md): the app process is SIGKILLed during outbox relay, 3 times. The app is
 * a child process (test/support/outbox-relay-app.ts: KafkaProducerModule with a PostgreSQL
 * outbox and nothing else), killed each time a further share of the outbox is published
 * while it holds leased rows, then restarted; the fourth run finishes the outbox.
 */
const topic = uniqueTopic('e2e-outbox-crash');
const CrashEvent = outboxEventClass(topic);
const KEYS = 16;
const ROUNDS = 30;
const TOTAL = KEYS * ROUNDS;
const KILLS = 3;
const LEASE_MS = 2000;
const table = `outbox_crash_${process.pid}`;

interface Orphan {
  id: string;
  owner: string;
  attempts: number;
  lockedUntil: Date;
}

describe('F6: the app SIGKILLed during outbox relay, 3 times (PostgreSQL outbox, child process)', () => {
  const brokers = testBrokers();
  let server: TestPostgres;
  let db: pg.Pool;
  let script: ChildScript;
  const children = new Set<ChildProcess>();

  beforeAll(async () => {
    [server, script] = await Promise.all([
      startPostgres(),
      ChildScript.build('test/support/outbox-relay-app.ts'),
    ]);
    db = new pg.Pool({ connectionString: server.connectionString, max: 2 });
    db.on('error', () => undefined);
    await createTopic(brokers, topic, 3);
  });

  afterAll(async () => {
    for (const child of children) {
      child.kill('SIGKILL');
      await exited(child);
    }
    script?.remove();
    await db?.end();
    await server?.stop();
  });

  const counts = async () => {
    const { rows } = await db.query<{ published: number; processing: number; unfinished: number }>(
      `SELECT count(*) FILTER (WHERE status = 'PUBLISHED')::int AS published,
              count(*) FILTER (WHERE status = 'PROCESSING')::int AS processing,
              count(*) FILTER (WHERE status IN ('PENDING', 'PROCESSING', 'FAILED'))::int AS unfinished
         FROM ${table}`,
    );
    return rows[0];
  };

  /** Starts an app instance whose relay leases rows as `owner`. */
  const startApp = (owner: string) => {
    const url = new URL(server.connectionString);
    url.searchParams.set('application_name', owner);
    const run = script.spawn({
      KAFKA_BROKERS: brokers.join(','),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      OUTBOX_PG_URL: url.toString(),
      OUTBOX_TABLE: table,
      OUTBOX_RELAY: JSON.stringify({
        owner,
        leaseMs: LEASE_MS,
        batchSize: KEYS,
        pollIntervalMs: 50,
        backoffMs: 100,
        retentionMs: false,
      }),
    });
    children.add(run.child);
    void exited(run.child).then(() => children.delete(run.child));
    return run;
  };

  /** Waits until PostgreSQL has no session of `owner` left: all it sent is committed or gone. */
  const sessionsGone = (owner: string) =>
    until(async () => {
      const { rows } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [owner],
      );
      return rows[0].n === 0;
    }, 30_000);

  it('0 lost, duplicates only of rows leased by a killed relay and with the same event id, per-key order kept, expired leases reclaimed', async () => {
    const t0 = Date.now();
    // The outbox is filled through the module (OutboxService, relay off), before any relay runs.
    const filler = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-outbox-crash-filler' },
          connect: 'lazy',
          outbox: {
            store: new PostgresOutboxStore({ connectionString: server.connectionString, table }),
            fallback: false,
            relay: { enabled: false },
          },
        }),
      ],
    }).compile();
    await filler.init();
    const outbox = filler.get(OutboxService);
    const accepted: Enqueued[] = [];
    for (const round of eventRounds(CrashEvent, 'crash', KEYS, ROUNDS)) {
      accepted.push(...enqueued(round, await outbox.enqueue(round)));
    }
    await filler.close();
    expect((await counts()).unfinished).toBe(TOTAL);

    const orphans: Orphan[] = [];
    for (let run = 1; run <= KILLS; run++) {
      const owner = `crash-relay-${run}`;
      const app = startApp(owner);
      // Killed once it has published a further share of the outbox and holds leased rows.
      const target = Math.round((TOTAL * run) / (KILLS + 2));
      const busy = await until(
        async () => {
          if (app.child.exitCode !== null) throw new Error(`app exited:\n${app.output.text}`);
          const c = await counts();
          return c.published >= target && c.processing > 0;
        },
        60_000,
        5,
      );
      expect(busy).toBe(true);
      // At a random moment of the relay's round (claimed, sent, acked or being marked).
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
      app.child.kill('SIGKILL');
      await exited(app.child);
      expect(app.child.signalCode).toBe('SIGKILL');
      expect(await sessionsGone(owner)).toBe(true);
      expect((await counts()).unfinished).toBeGreaterThan(0); // killed mid-relay
      const { rows } = await db.query<{
        id: string;
        locked_by: string;
        attempts: number;
        locked_until: Date;
      }>(
        `SELECT id, locked_by, attempts, locked_until FROM ${table}
          WHERE status = 'PROCESSING' AND locked_by = $1`,
        [owner],
      );
      orphans.push(
        ...rows.map((r) => ({
          id: r.id,
          owner: r.locked_by,
          attempts: r.attempts,
          lockedUntil: r.locked_until,
        })),
      );
    }

    const last = startApp('crash-relay-final');
    const drained = await until(async () => (await counts()).unfinished === 0, 90_000, 200);
    // Shut down as an app is (Nest's shutdown hooks close it, then re-raise the signal).
    last.child.kill('SIGTERM');
    const stopped = await until(
      () => last.child.exitCode !== null || last.child.signalCode !== null,
      30_000,
    );
    if (!stopped) last.child.kill('SIGKILL');
    await exited(last.child);

    const { unfinished } = await counts();
    const outcome = await outboxOutcome(
      'F6-app-sigkill-during-relay-x3',
      brokers,
      topic,
      accepted,
      unfinished,
    );
    const { report } = outcome;
    console.log(
      `  F6: ${KILLS} kills, ${orphans.length} leased row(s) left by killed relays, ` +
        `${outcome.duplicatedIds.length} id(s) duplicated, ${Date.now() - t0} ms`,
    );
    expect(drained).toBe(true);
    expect(stopped).toBe(true);
    expect(String(last.child.exitCode ?? last.child.signalCode)).toMatch(/^(0|SIGTERM)$/);
    expect(report.sent).toBe(TOTAL);
    expect(report.lost).toBe(0);
    expect(report.found).toBe(TOTAL);
    expect(report.reordered).toBe(0);
    expect(report.hung).toBe(0);
    expect(report.splitKeys).toBe(0);
    expect(report.foreign).toBe(0);
    // Every copy carries the id the outbox gave its event; only rows that a killed relay held
    // were sent twice, at most once more per kill that caught them.
    expect(outcome.wrongIds).toBe(0);
    const orphanIds = new Set(orphans.map((o) => o.id));
    expect(outcome.duplicatedIds.filter((id) => !orphanIds.has(id))).toEqual([]);
    expect(report.duplicated).toBeLessThanOrEqual(orphans.length);

    // Expired leases reclaimed: each row a killed relay held was taken over only after its
    // lease ended, then published (one more attempt at least).
    expect(orphans.length).toBeGreaterThan(0);
    for (const orphan of orphans) {
      const { rows } = await db.query<{
        status: string;
        attempts: number;
        published_at: Date;
        kafka_offset: string;
      }>(`SELECT status, attempts, published_at, kafka_offset FROM ${table} WHERE id = $1`, [
        orphan.id,
      ]);
      const row = rows[0];
      expect({ id: orphan.id, status: row.status }).toEqual({ id: orphan.id, status: 'PUBLISHED' });
      expect(row.attempts).toBeGreaterThan(orphan.attempts);
      expect(row.published_at.getTime()).toBeGreaterThanOrEqual(orphan.lockedUntil.getTime());
      expect(outcome.copies.get(orphan.id)?.map((r) => r.offset)).toContain(row.kafka_offset);
    }
  });
});
