import type { Logger } from '@nestjs/common';
import type { KafkaProducerError } from '../errors/kafka-producer.error.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { FailedRecord } from '../interfaces/producer-listener.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import type { ProducerBatch } from '../accumulator/producer-batch.js';
import type { PartitionBatch, PartitionOutcome } from '../transport/transport.interface.js';

/**
 * Told of each stage of a record's path: the ProducerListeners are observers, and tracing and
 * metrics plug in the same way. Every method is optional; what one throws is logged.
 */
export interface SendObserver {
  /** A record joined a batch for `partition` (sent directly; not one stored or staged). */
  appended?(record: OutgoingRecord, partition: number): void;
  /** The accumulator handed these batches to the sender as one request (before encoding). */
  drained?(batches: readonly ProducerBatch[]): void;
  /** A request went to the transport with these partitions' batches. */
  sent?(batches: readonly PartitionBatch[], profile: ReliabilityProfile): void;
  /** The transport answered a request after `latencyMs`: an outcome per batch, in order. */
  answered?(
    batches: readonly PartitionBatch[],
    outcomes: readonly PartitionOutcome[],
    latencyMs: number,
  ): void;
  /** `records` of a failed request (these partitions' batches) are sent again after `waitMs`. */
  retried?(
    records: number,
    error: KafkaProducerError,
    waitMs: number,
    batches: readonly PartitionBatch[],
  ): void;
  /** A record was acknowledged as its reliability asks (after its caller was answered). */
  acked?(report: DeliveryReport): void;
  /** A `send()`, `sendMany()` or `sendRaw()` failed, before or after sending. */
  failed?(error: KafkaProducerError, record: FailedRecord): void;
  /** A batch's records failed after their append (for observers that count per batch). */
  batchFailed?(batch: ProducerBatch, error: Error): void;
}

/** The observers of one producer, each called in turn; one that throws is logged, not fatal. */
export class Observers {
  /** Whether there is any observer (the hot path skips the calls otherwise). */
  readonly any: boolean;
  /** Whether an observer wants each record's `appended`. */
  readonly anyAppended: boolean;
  /** Whether an observer wants each record's outcome after the append (`acked`, `failed`). */
  readonly anyOutcome: boolean;

  constructor(
    private readonly list: readonly SendObserver[],
    private readonly logger: Logger,
    /** Observers whose `failed` hears only failures before the append (see batchFailed). */
    private readonly beforeAppendOnly: ReadonlySet<SendObserver> = new Set(),
  ) {
    this.any = list.length > 0;
    this.anyAppended = list.some((o) => o.appended !== undefined);
    this.anyOutcome = list.some(
      (o) => o.acked !== undefined || (o.failed !== undefined && !beforeAppendOnly.has(o)),
    );
  }

  appended(record: OutgoingRecord, partition: number): void {
    this.each((o) => o.appended?.(record, partition));
  }

  drained(batches: readonly ProducerBatch[]): void {
    this.each((o) => o.drained?.(batches));
  }

  sent(batches: readonly PartitionBatch[], profile: ReliabilityProfile): void {
    this.each((o) => o.sent?.(batches, profile));
  }

  answered(
    batches: readonly PartitionBatch[],
    outcomes: readonly PartitionOutcome[],
    latencyMs: number,
  ): void {
    this.each((o) => o.answered?.(batches, outcomes, latencyMs));
  }

  retried(
    records: number,
    error: KafkaProducerError,
    waitMs: number,
    batches: readonly PartitionBatch[],
  ): void {
    this.each((o) => o.retried?.(records, error, waitMs, batches));
  }

  acked(report: DeliveryReport): void {
    this.each((o) => o.acked?.(report));
  }

  /** A send failed before its append: told to every observer. */
  failed(error: unknown, record: FailedRecord): void {
    this.each((o) => o.failed?.(error as KafkaProducerError, record));
  }

  /** A send failed after its append (its caller's promise): not told to `beforeAppendOnly`. */
  failedAfterAppend(error: unknown, record: FailedRecord): void {
    for (const o of this.list) {
      if (this.beforeAppendOnly.has(o)) continue;
      this.call(() => o.failed?.(error as KafkaProducerError, record));
    }
  }

  /**
   * A batch's records failed (the sender gave up, or the accumulator dropped it): told to the
   * `beforeAppendOnly` observers (the metrics), which count these failures per batch instead
   * of per record promise.
   */
  batchFailed(batch: ProducerBatch, error: Error): void {
    for (const o of this.beforeAppendOnly) {
      this.call(() => o.batchFailed?.(batch, error));
    }
  }

  private each(call: (observer: SendObserver) => void): void {
    for (const observer of this.list) this.call(() => call(observer));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.logger.error(`a ProducerListener or observer threw: ${String(error)}`);
    }
  }
}
