import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { IsString } from 'class-validator';
import { KafkaEvent, KafkaProducerModule, KeyedBy, ProducerService } from '../lib/index.js';
import { KafkaProducerHealthIndicator } from '../lib/health/index.js';
import { KafkaCluster } from '../tools/kafka/harness.js';
import { createTopic, uniqueTopic } from './support/kafka-env.js';
import { readTopic } from './support/read-topic.js';

const topic = uniqueTopic('e2e-health');

@KafkaEvent(topic)
@KeyedBy('id')
class Heartbeat {
  @IsString() id!: string;
  static of(id: string) {
    return Object.assign(new Heartbeat(), { id });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` is true; false if it never was within `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

/** Its own broker (tools/kafka), since the test stops it: the shared one stays up. */
describe('KafkaProducerHealthIndicator against a broker that stops and comes back', () => {
  let cluster: KafkaCluster;
  let app: INestApplicationContext;

  beforeAll(async () => {
    cluster = await KafkaCluster.start({ brokers: 1 });
    const brokers = cluster.bootstrap.split(',');
    await createTopic(brokers, topic, 2);
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        KafkaProducerModule.forRoot({
          client: { brokers, clientId: 'e2e-health', retry: { retries: 1 } },
          producer: { deliveryTimeoutMs: 60_000, lingerMs: 0 },
        }),
      ],
      providers: [KafkaProducerHealthIndicator],
    }).compile();
    app = await moduleRef.init();
  });

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it('readiness goes down while the broker is down and up once it is back; liveness stays up', async () => {
    const producer = app.get(ProducerService);
    const indicator = app.get(KafkaProducerHealthIndicator);
    const health = app.get(HealthCheckService);
    const ready = () =>
      health.check([() => indicator.isReady('kafka', producer)]).then(
        () => true,
        () => false,
      );
    const live = () =>
      health.check([() => indicator.isLive('kafka', producer)]).then(
        () => true,
        () => false,
      );
    await producer.send(Heartbeat.of('first'));
    expect(await ready()).toBe(true);
    expect(await live()).toBe(true);

    // The app keeps sending, as a service does; every send is kept to check its outcome.
    const sends: Promise<unknown>[] = [];
    let n = 0;
    const timer = setInterval(() => sends.push(producer.send(Heartbeat.of(`h-${n++}`))), 200);
    const liveness: boolean[] = [];
    try {
      await cluster.kill(cluster.brokers[0].id);
      const wentDown = await until(async () => {
        liveness.push(await live());
        return !(await ready());
      }, 30_000);
      expect(wentDown).toBe(true);
      expect((await producer.health()).connected).toBe(false);
      await cluster.restart(cluster.brokers[0].id);
      const cameBack = await until(async () => {
        liveness.push(await live());
        return ready();
      }, 60_000);
      expect(cameBack).toBe(true);
    } finally {
      clearInterval(timer);
    }
    expect(liveness.length).toBeGreaterThan(0);
    expect(liveness.every(Boolean)).toBe(true);
    // Every send accepted during the outage reached the broker once it was back.
    const outcomes = await Promise.allSettled(sends);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const records = await readTopic(cluster.bootstrap.split(','), topic, sends.length + 1);
    expect(records).toHaveLength(sends.length + 1);
  });
});
