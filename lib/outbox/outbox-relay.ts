import type { Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import { KafkaProducerError } from '../errors/kafka-producer.error.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import { backoffMs } from '../utils/backoff.js';
import type { OutboxRelayOptions } from '../interfaces/outbox-options.interface.js';
import type { OutboxRow, OutboxStats, OutboxStore } from './stores/outbox-store.interface.js';

/** Publishes one stored record with acks all, exactly as stored (same x-event-id). */
export type PublishStored = (row: OutboxRow) => Promise<DeliveryReport>;

/** Relay settings with their defaults filled in. */
export type ResolvedRelayOptions = Required<Omit<OutboxRelayOptions, 'deadLetterTopic'>> &
  Pick<OutboxRelayOptions, 'deadLetterTopic'>;

/** Fills in the relay defaults. */
export function resolveRelayOptions(options: OutboxRelayOptions = {}): ResolvedRelayOptions {
  return {
    enabled: options.enabled ?? true,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    batchSize: options.batchSize ?? 100,
    leaseMs: options.leaseMs ?? 30000,
    maxAttempts: options.maxAttempts ?? 10,
    backoffMs: options.backoffMs ?? 500,
    backoffMaxMs: options.backoffMaxMs ?? 60000,
    deadLetterTopic: options.deadLetterTopic,
    retentionMs: options.retentionMs ?? 7 * 24 * 3600 * 1000,
    owner: options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
  };
}

/** Called after a row of a key is finished (published or dead). */
export type RowFinished = (row: OutboxRow) => void;

/**
 * Moves rows from the outbox to Kafka: claims the oldest unfinished row of each key with a
 * lease, publishes it with acks all, marks it PUBLISHED with its partition and offset.
 * A retriable failure marks it FAILED with a doubling, jittered backoff; a fatal one, or
 * the last of `maxAttempts`, marks it DEAD (and sends it to the dead-letter topic if set).
 * A relay that dies mid-way leaves rows PROCESSING; their lease expires and a relay takes
 * them over, sending them again with the same event id (consumers dedupe on x-event-id).
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private lastCleanup = 0;

  constructor(
    private readonly store: OutboxStore,
    private readonly publish: PublishStored,
    readonly options: ResolvedRelayOptions,
    private readonly logger: Logger,
    private readonly finished: RowFinished = () => undefined,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops polling and waits for the rows in hand. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  /** Ends the current wait between polls (new rows were added). */
  wake(): void {
    this.wakeUp?.();
  }

  /** backlog, oldest unfinished row's age, dead rows. */
  stats(): Promise<OutboxStats> {
    return this.store.stats();
  }

  /** One poll: claims and handles what is claimable; returns how many rows it handled. */
  async runOnce(): Promise<number> {
    const { owner, batchSize: limit, leaseMs } = this.options;
    const rows = await this.store.claim({ owner, limit, leaseMs });
    await Promise.all(rows.map((row) => this.handle(row)));
    return rows.length;
  }

  private async run(): Promise<void> {
    let idleMs = this.options.pollIntervalMs;
    while (this.running) {
      let handled = 0;
      try {
        handled = await this.runOnce();
        await this.cleanup();
        idleMs = this.options.pollIntervalMs;
      } catch (error) {
        // The store is unreachable: keep polling, slower, until it is back.
        this.logger.warn(`outbox relay: ${String(error)}`);
        idleMs = Math.min(idleMs * 2, 10 * this.options.pollIntervalMs);
      }
      if (handled < this.options.batchSize && this.running) await this.sleep(idleMs);
    }
  }

  private async handle(row: OutboxRow): Promise<void> {
    const { owner } = this.options;
    let report: DeliveryReport;
    try {
      report = await this.publish(row);
    } catch (error) {
      await this.failed(row, error);
      return;
    }
    const marked = await this.store
      .markPublished(row.id, owner, { partition: report.partition, offset: report.offset })
      .catch((error: unknown) => {
        // Sent but not marked: the lease expires and the row is sent again, same event id.
        this.logger.warn(`outbox relay: could not mark ${row.id} published: ${String(error)}`);
        return false;
      });
    if (marked) this.finished(row);
  }

  private async failed(row: OutboxRow, error: unknown): Promise<void> {
    const { owner, maxAttempts } = this.options;
    // The engine fails records with typed errors; anything else is taken as retriable.
    const failure =
      error instanceof KafkaProducerError
        ? error
        : new SendFailedError(row.topic, true, undefined, String(error), error);
    const reason = `${failure.name}: ${failure.message}`;
    try {
      if (!failure.retriable || row.attempts >= maxAttempts) {
        await this.deadLetter(row, reason);
        if (await this.store.markDead(row.id, owner, { error: reason })) this.finished(row);
        this.logger.error(
          `outbox relay: ${row.id} to ${row.topic} is DEAD after ${row.attempts} attempt(s): ${reason}`,
        );
      } else {
        const nextAttemptAt = new Date(Date.now() + this.backoff(row.attempts));
        await this.store.markFailed(row.id, owner, { error: reason, nextAttemptAt });
      }
    } catch (storeError) {
      this.logger.warn(
        `outbox relay: could not record the failure of ${row.id}: ${String(storeError)}`,
      );
    }
  }

  private async deadLetter(row: OutboxRow, reason: string): Promise<void> {
    const topic = this.options.deadLetterTopic;
    if (!topic) return;
    const headers = {
      ...row.headers,
      'x-original-topic': Buffer.from(row.topic),
      'x-dead-reason': Buffer.from(reason),
    };
    await this.publish({ ...row, topic, partition: null, headers }).catch((error: unknown) =>
      this.logger.error(`outbox relay: dead-letter send of ${row.id} failed: ${String(error)}`),
    );
  }

  private backoff(attempts: number): number {
    return backoffMs(attempts, this.options.backoffMs, this.options.backoffMaxMs);
  }

  private async cleanup(): Promise<void> {
    const { retentionMs } = this.options;
    if (retentionMs === false || Date.now() - this.lastCleanup < 60000) return;
    this.lastCleanup = Date.now();
    const deleted = await this.store.deletePublished(new Date(Date.now() - retentionMs));
    if (deleted > 0) this.logger.log(`outbox relay: deleted ${deleted} published row(s)`);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
