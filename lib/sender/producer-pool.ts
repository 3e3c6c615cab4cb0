import type { Logger } from '@nestjs/common';
import type { ICustomPartitioner, Kafka, Producer } from 'kafkajs';
import { ProducerNotConnectedError } from '../errors/producer-not-connected.error.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import { Messages } from '../kafka-producer.messages.js';
import { withTimeout } from '../utils/with-timeout.js';
import { retryOptions } from './retry-policy.js';

/** How the pool connects. */
export interface ConnectPolicy {
  readonly brokers: readonly string[];
  /** Attempts per connect (>= 1). */
  readonly attempts: number;
  /** Time bound on one attempt. */
  readonly timeoutMs: number;
  readonly maxInFlightRequests: number;
  readonly allowAutoTopicCreation: boolean;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

interface Entry {
  readonly producer: Producer;
  readonly ready: Promise<Producer>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * One kafkajs producer per reliability profile (kafkajs's idempotent producer refuses
 * acks other than -1), each connected once and shared by every send of its profile.
 * A failed connect is dropped, never cached: the next send connects afresh.
 */
export class ProducerPool {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly kafka: Kafka,
    private readonly createPartitioner: ICustomPartitioner,
    private readonly policy: ConnectPolicy,
    private readonly logger: Logger,
  ) {}

  /** The connected producer of `profile`, connecting it if need be. */
  get(profile: ReliabilityProfile): Promise<Producer> {
    let entry = this.entries.get(profile.id);
    if (!entry) {
      const producer = this.kafka.producer({
        idempotent: profile.idempotent,
        retry: retryOptions(profile, this.policy),
        maxInFlightRequests: this.policy.maxInFlightRequests,
        allowAutoTopicCreation: this.policy.allowAutoTopicCreation,
        createPartitioner: this.createPartitioner,
      });
      const ready = this.connect(producer, profile).catch((error: unknown) => {
        this.entries.delete(profile.id);
        throw error;
      });
      entry = { producer, ready };
      this.entries.set(profile.id, entry);
    }
    return entry.ready;
  }

  /** Disconnects every producer; errors are logged, not thrown. */
  async disconnectAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      entries.map(async ({ producer, ready }) => {
        await ready.catch(() => undefined);
        await producer.disconnect().catch((error: unknown) => {
          this.logger.error(`error while disconnecting: ${String(error)}`);
        });
      }),
    );
  }

  private async connect(producer: Producer, profile: ReliabilityProfile): Promise<Producer> {
    const { attempts, timeoutMs, brokers } = this.policy;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await withTimeout(
          producer.connect(),
          timeoutMs,
          () => new Error(`connect timed out after ${timeoutMs} ms`),
        );
        this.logger.log(`connected (${profile.id}) to ${brokers.join(', ')}`);
        return producer;
      } catch (error) {
        lastError = error;
        await producer.disconnect().catch(() => undefined);
        this.logger.warn(
          `connect attempt ${attempt}/${attempts} (${profile.id}) failed: ${String(error)}`,
        );
        if (attempt < attempts) await sleep(Math.min(200 * 2 ** (attempt - 1), 5000));
      }
    }
    const reason = lastError instanceof Error ? lastError.message : String(lastError);
    throw new ProducerNotConnectedError(Messages.notConnected(brokers, reason), brokers, {
      cause: lastError,
    });
  }
}
