import 'reflect-metadata';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ProducerHealth } from '../interfaces/producer-health.interface.js';
import {
  KafkaProducerHealthIndicator,
  readinessProblems,
} from './kafka-producer.health-indicator.js';

const healthy: ProducerHealth = {
  connected: true,
  closed: false,
  lastAckAgoMs: 10,
  bufferUse: 0.1,
  waitingSends: 0,
  consecutiveFailures: 0,
  fatal: null,
};

const source = (health: Partial<ProducerHealth>) => ({
  health: () => Promise.resolve({ ...healthy, ...health }),
});

describe('KafkaProducerHealthIndicator (terminus HealthIndicatorService)', () => {
  const indicator = new KafkaProducerHealthIndicator(new HealthIndicatorService());

  it('is live and ready when connected with room in the buffer', async () => {
    expect((await indicator.isLive('kafka', source({}))).kafka.status).toBe('up');
    const ready = await indicator.isReady('kafka', source({}));
    expect(ready.kafka).toEqual({ status: 'up', ...healthy });
  });

  it('is not ready while disconnected or the buffer is nearly full, but stays live', async () => {
    const down = await indicator.isReady('kafka', source({ connected: false, bufferUse: 0.95 }));
    expect(down.kafka.status).toBe('down');
    expect(down.kafka.problems).toEqual(['not connected to Kafka', 'buffer 95% full']);
    expect((await indicator.isLive('kafka', source({ connected: false }))).kafka.status).toBe('up');
  });

  it('is down for liveness only in a fatal state', async () => {
    const fatal = source({ fatal: 'AuthenticationError: bad password' });
    expect((await indicator.isLive('kafka', fatal)).kafka.status).toBe('down');
    expect((await indicator.isReady('kafka', fatal)).kafka.status).toBe('down');
  });

  it('applies the optional thresholds', () => {
    const health = {
      ...healthy,
      bufferUse: 0.5,
      waitingSends: 3,
      consecutiveFailures: 4,
      outbox: { backlog: 2, oldestAgeMs: 9000 },
    };
    expect(readinessProblems(health)).toEqual([]);
    expect(
      readinessProblems(health, {
        maxBufferUse: 0.5,
        maxWaitingSends: 2,
        maxConsecutiveFailures: 4,
        maxOutboxAgeMs: 5000,
      }),
    ).toEqual([
      'buffer 50% full',
      '3 sends waiting for buffer room',
      '4 requests failed in a row',
      'outbox row waiting 9000 ms',
    ]);
  });
});
