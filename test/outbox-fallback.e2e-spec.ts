import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  OutboxService,
  ProducerService,
  SqliteOutboxStore,
  type DeliveryReport,
} from '../lib/index.js';
import { KafkaCluster } from '../tools/kafka/harness.js';
import { createTopic, uniqueTopic } from './support/kafka-env.js';
import { readTopic } from './support/read-topic.js';

const topic = uniqueTopic('e2e-fallback');

@KafkaEvent(topic)
@KeyedBy('key')
class Step {
  key!: string;
  seq!: number;
  static of(key: string, seq: number): Step {
    return Object.assign(new Step(), { key, seq });
  }
}

describe('F5 with the outbox: cluster down past the delivery timeout (fallback mode)', () => {
  let cluster: KafkaCluster;
  let dir: string;

  beforeAll(async () => {
    cluster = await KafkaCluster.start({ brokers: 1 });
    dir = mkdtempSync(join(tmpdir(), 'fallback-e2e-'));
  });

  afterAll(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends never fail, everything is delivered after recovery, in key order, with stable ids', async () => {
    const brokers = cluster.bootstrap.split(',');
    await createTopic(brokers, topic, 3);
    const store = new SqliteOutboxStore({ filename: join(dir, 'outbox.db') });
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-fallback', connectionTimeout: 1000 },
          producer: { deliveryTimeoutMs: 3000, requestTimeoutMs: 1000, maxBlockMs: 2000 },
          outbox: {
            store,
            relay: { pollIntervalMs: 200, backoffMs: 200, backoffMaxMs: 2000, maxAttempts: 1000 },
          },
        }),
      ],
    }).compile();
    const app: INestApplicationContext = await moduleRef.init();
    const producer = app.get(ProducerService);
    const keys = ['a', 'b', 'c'];
    const seq = new Map(keys.map((k) => [k, 0]));
    const next = (k: string) => {
      const n = seq.get(k)!;
      seq.set(k, n + 1);
      return Step.of(k, n);
    };
    const reports: DeliveryReport[] = [];
    for (const k of keys) reports.push(await producer.send(next(k))); // warm: metadata known

    await cluster.kill(cluster.brokers[0].id);
    const started = Date.now();
    const during = await Promise.all(
      Array.from({ length: 30 }, (_, i) => producer.send(next(keys[i % 3]))),
    );
    reports.push(...during);
    const elapsed = Date.now() - started;
    // None failed; each was deferred to the outbox within about the delivery timeout.
    expect(during.every((r) => r.deferred === true)).toBe(true);
    expect(elapsed).toBeLessThan(3000 + 3000);
    // Once a key has rows waiting, its next sends are stored at once, behind them.
    const behind = await producer.send(next('a'));
    expect(behind.deferred).toBe(true);
    reports.push(behind);
    expect((await app.get(OutboxService).stats())!.backlog).toBe(31);

    await cluster.restart(cluster.brokers[0].id);
    const deadline = Date.now() + 60_000;
    while ((await app.get(OutboxService).stats())!.backlog > 0) {
      if (Date.now() > deadline) throw new Error('the outbox did not drain');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const after = await producer.send(next('b')); // direct again once the key drained
    reports.push(after);
    expect(after.deferred).toBeUndefined();

    const stored = await readTopic(brokers, topic, reports.length, { settleMs: 1500 });
    const ids = stored.map((r) => r.headers['x-event-id'].toString());
    const lost = reports.filter((r) => !ids.includes(r.eventId));
    const byId = new Map<string, number>();
    for (const id of ids) byId.set(id, (byId.get(id) ?? 0) + 1);
    const duplicated = [...byId.values()].filter((n) => n > 1).length;
    const reordered = keys.filter((k) => {
      const seqs = stored
        .map((r) => JSON.parse(r.value!.toString()) as { key: string; seq: number })
        .filter((v) => v.key === k);
      const firsts = seqs.map((v) => v.seq).filter((s, i, all) => all.indexOf(s) === i);
      return firsts.some((s, i) => i > 0 && s < firsts[i - 1]);
    }).length;
    console.log(
      `F5-outbox sent=${reports.length} acked=${reports.length} lost=${lost.length} duplicated=${duplicated} reordered=${reordered} hung=0`,
    );
    expect(lost).toHaveLength(0);
    expect(reordered).toBe(0);
    await app.close();
  });
});
