import type { Logger } from '@nestjs/common';
import type { ProducerBatch } from '../accumulator/producer-batch.js';
import { compressionType } from '../compression/compression-registry.js';
import { DeliveryTimeoutError } from '../errors/delivery-timeout.error.js';
import type { KafkaProducerError } from '../errors/kafka-producer.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import { RecordBatch } from '../protocol/record-batch.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { slotKey } from '../record/slot-key.js';
import type { Observers } from '../observability/send-observer.js';
import type { PartitionBatch, Transport } from '../transport/transport.interface.js';
import { backoffMs, sleep, type BackoffSettings } from '../utils/backoff.js';

function count(batches: readonly ProducerBatch[]): number {
  return batches.reduce((n, batch) => n + batch.records.length, 0);
}

/** One partition's batches of a request, encoded once as one record batch. */
interface Part {
  readonly batches: ProducerBatch[];
  readonly wire: PartitionBatch;
}

/** A failed attempt: the parts it carried and the typed error they failed with. */
interface Failure {
  readonly parts: Part[];
  readonly error: KafkaProducerError;
}

function open(parts: readonly Part[]): Part[] {
  return parts.filter((part) => part.batches.some((batch) => !batch.failure));
}

function countParts(parts: readonly Part[]): number {
  return parts.reduce((n, part) => n + count(part.batches), 0);
}

/**
 * Sends the accumulator's requests through the transport, like Java's Sender: each
 * partition's batches are encoded as one record batch, the request goes out, and each record
 * is settled with its own report (offset = its batch's base offset + its position in it).
 *
 * Like Java's producer, a partition that failed retriably is sent again after a backoff,
 * the same bytes (for an idempotent profile, the same sequence numbers), until the
 * delivery timeout; only then does the caller get DeliveryTimeoutError.
 */
export class RecordSender {
  constructor(
    private readonly transport: Transport,
    private readonly backoff: BackoffSettings,
    private readonly logger: Logger,
    private readonly observers?: Observers,
  ) {}

  /** The accumulator's Transmit: settles every record, resolves when the client is done. */
  readonly transmit = async (
    batches: ProducerBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    deadline: number,
  ): Promise<void> => {
    // Callers get their answer by the deadline; the client may finish later, and only then
    // is the request's memory free (the accumulator waits for this promise).
    const timeout = () => {
      for (const batch of batches) {
        this.fail(batch, new DeliveryTimeoutError(batch.topic, profile.deliveryTimeoutMs));
      }
    };
    const timer = setTimeout(timeout, Math.max(0, deadline - Date.now()));
    if (this.observers?.any) this.observers.drained(batches);
    try {
      let pending = await this.encode(batches, compression);
      for (let attempt = 1; ; attempt++) {
        const failures = await this.sendOnce(pending, profile, compression);
        const retry: Part[] = [];
        const wait = backoffMs(
          attempt,
          this.backoff.retryBackoffMs,
          this.backoff.retryBackoffMaxMs,
        );
        for (const failure of failures) {
          const { error } = failure;
          const parts = open(failure.parts);
          if (parts.length === 0) continue;
          const records = countParts(parts);
          if (!error.retriable || this.transport.closed) {
            this.logger.warn(`gave up on ${records} record(s) (${error.name}): ${error.message}`);
            for (const part of parts) for (const batch of part.batches) this.fail(batch, error);
          } else if (Date.now() + wait >= deadline) {
            // No time for another try: what Java reports then, with the reason inside.
            const timeoutMs = profile.deliveryTimeoutMs;
            this.logger.warn(
              `gave up on ${records} record(s) at the delivery timeout: ${error.message}`,
            );
            for (const part of parts) {
              for (const b of part.batches)
                this.fail(b, new DeliveryTimeoutError(b.topic, timeoutMs, error));
            }
          } else {
            this.logger.warn(
              `retrying ${records} record(s) in ${wait} ms (${error.name}): ${error.message}`,
            );
            retry.push(...parts);
            if (this.observers?.any) {
              this.observers.retried(
                records,
                error,
                wait,
                parts.map((part) => part.wire),
              );
            }
          }
        }
        if (retry.length === 0) break;
        await sleep(wait);
        pending = open(retry);
        if (pending.length === 0) break;
      }
    } finally {
      clearTimeout(timer);
    }
  };

  private fail(batch: ProducerBatch, error: Error): void {
    if (batch.fail(error) && this.observers?.any) this.observers.batchFailed(batch, error);
  }

  /**
   * Each partition's batches as one record batch, encoded once: a retry sends the same
   * bytes (and, for an idempotent profile, the same sequence numbers).
   */
  private encode(batches: ProducerBatch[], compression: CompressionCodec): Promise<Part[]> {
    const codec = compressionType(compression);
    return Promise.all(
      byPartition(batches).map(async (own) => {
        const records: OutgoingRecord[] = [];
        for (const batch of own) for (const { record } of batch.records) records.push(record);
        const { topic, partition } = own[0];
        const wire = { topic, partition, batch: await RecordBatch.encode(records, codec) };
        return { batches: own, wire };
      }),
    );
  }

  /**
   * One request: the records of a partition that was answered are settled, the others
   * come back as failures (one per error).
   */
  private async sendOnce(
    parts: Part[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<Failure[]> {
    const wires = parts.map((part) => part.wire);
    const observed = this.observers?.any === true;
    const start = observed ? performance.now() : 0;
    if (observed) this.observers?.sent(wires, profile);
    const outcomes = await this.transport.produce(wires, profile, compression);
    if (observed) this.observers?.answered(wires, outcomes, performance.now() - start);
    const failures = new Map<KafkaProducerError, Part[]>();
    outcomes.forEach((outcome, i) => {
      if (outcome.error) {
        const list = failures.get(outcome.error);
        if (list) list.push(parts[i]);
        else failures.set(outcome.error, [parts[i]]);
      } else {
        settle(parts[i].batches, outcome.baseOffset);
      }
    });
    return [...failures].map(([error, failed]) => ({ parts: failed, error }));
  }
}

function byPartition(batches: ProducerBatch[]): ProducerBatch[][] {
  const slots = new Map<string, ProducerBatch[]>();
  for (const batch of batches) {
    const slot = slotKey(batch.topic, batch.partition);
    const list = slots.get(slot);
    if (list) list.push(batch);
    else slots.set(slot, [batch]);
  }
  return [...slots.values()];
}

/** Several batches of one partition travel as one record batch: positions run on. */
function settle(batches: readonly ProducerBatch[], baseOffset: number): void {
  let first = baseOffset;
  for (const batch of batches) {
    const records = batch.records;
    for (let i = 0; i < records.length; i++) {
      const { record, resolve } = records[i];
      resolve({
        topic: batch.topic,
        partition: batch.partition,
        // Offsets stay below 2^53 (9 quadrillion records in one partition): exact as numbers.
        offset: first < 0 ? '-1' : String(first + i),
        key: record.keyValue,
        timestamp: String(record.timestamp),
        eventId: record.eventId,
      });
    }
    if (first >= 0) first += records.length;
  }
}
