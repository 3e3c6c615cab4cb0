import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type {
  HealthCheckOptions,
  ProducerHealth,
} from '../interfaces/producer-health.interface.js';

/** What the indicator reads: a ProducerService (or anything with its `health()`). */
export interface ProducerHealthSource {
  health(options?: HealthCheckOptions): Promise<ProducerHealth>;
}

/** When readiness is down (each check is optional but the buffer one). */
export interface ReadinessThresholds extends HealthCheckOptions {
  /** Down at this share of `bufferMemory` in use or more. Default 0.9. */
  readonly maxBufferUse?: number;
  /** Down with more sends than this waiting for buffer room. Default: not checked. */
  readonly maxWaitingSends?: number;
  /** Down after this many requests failed in a row. Default: not checked. */
  readonly maxConsecutiveFailures?: number;
  /** Down while the outbox's oldest row to publish is older than this (ms). Default: not checked. */
  readonly maxOutboxAgeMs?: number;
}

/** Why readiness is down, or an empty list. */
export function readinessProblems(health: ProducerHealth, t: ReadinessThresholds = {}): string[] {
  const problems: string[] = [];
  if (health.closed) problems.push('shut down');
  if (!health.connected) problems.push('not connected to Kafka');
  if (health.fatal) problems.push(health.fatal);
  if (health.bufferUse >= (t.maxBufferUse ?? 0.9)) {
    problems.push(`buffer ${(health.bufferUse * 100).toFixed(0)}% full`);
  }
  if (t.maxWaitingSends !== undefined && health.waitingSends > t.maxWaitingSends) {
    problems.push(`${health.waitingSends} sends waiting for buffer room`);
  }
  if (
    t.maxConsecutiveFailures !== undefined &&
    health.consecutiveFailures >= t.maxConsecutiveFailures
  ) {
    problems.push(`${health.consecutiveFailures} requests failed in a row`);
  }
  if (
    t.maxOutboxAgeMs !== undefined &&
    health.outbox !== undefined &&
    health.outbox.oldestAgeMs > t.maxOutboxAgeMs
  ) {
    problems.push(`outbox row waiting ${health.outbox.oldestAgeMs} ms`);
  }
  return problems;
}

/**
 * A `@nestjs/terminus` (11+) health indicator for a producer, computed from the producer's
 * own state (no connection opened per probe). Liveness is down only in a fatal state (a
 * refused login or failed TLS check: restarting with the same configuration cannot help,
 * but a restart with new secrets can); readiness is down while not connected, in that fatal
 * state, or with the buffer nearly full (see ReadinessThresholds).
 */
@Injectable()
export class KafkaProducerHealthIndicator {
  constructor(
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
  ) {}

  async isLive<const Key extends string>(
    key: Key,
    producer: ProducerHealthSource,
  ): Promise<HealthIndicatorResult<Key>> {
    const health = await producer.health();
    const check = this.indicators.check(key);
    const details = { ...health };
    return health.fatal ? check.down(details) : check.up(details);
  }

  async isReady<const Key extends string>(
    key: Key,
    producer: ProducerHealthSource,
    thresholds: ReadinessThresholds = {},
  ): Promise<HealthIndicatorResult<Key>> {
    const health = await producer.health(thresholds);
    const problems = readinessProblems(health, thresholds);
    const check = this.indicators.check(key);
    return problems.length > 0 ? check.down({ ...health, problems }) : check.up({ ...health });
  }
}
