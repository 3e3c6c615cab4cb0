import type { Logger } from '@nestjs/common';
import type { Message, Producer, ProducerBatch as ProducerBatchRequest } from 'kafkajs';
import type { RecordMetadata, TopicMessages } from 'kafkajs';
import { installProduceEncoder, standIns } from '../protocol/produce-request.js';
import { RecordBatch } from '../protocol/record-batch.js';
import { SequenceBook } from '../protocol/sequence-book.js';
import type { ProducerBatch } from '../accumulator/producer-batch.js';
import { slotKey } from '../record/slot-key.js';
import { compressionType } from '../compression/compression-registry.js';
import { DeliveryTimeoutError } from '../errors/delivery-timeout.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { outcomeInDoubt, toProducerError } from './error-mapper.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import type { ProducerLease, ProducerPool } from './producer-pool.js';
import type { BackoffSettings } from './retry-policy.js';

function count(batches: readonly ProducerBatch[]): number {
  return batches.reduce((n, batch) => n + batch.records.length, 0);
}

/** A failed attempt: the batches it carried and what kafkajs threw. */
interface Failure {
  readonly batches: ProducerBatch[];
  readonly error: unknown;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends batches with one profile's kafkajs producer: one `sendBatch` per call (kafkajs
 * makes one Produce request per leader), or for an idempotent profile one per partition;
 * and settles each record with its own report:
 * offset = the partition's base offset + the record's position in its batch.
 *
 * kafkajs retries inside a `sendBatch` (keeping an idempotent producer's sequence numbers),
 * but gives up early on some retriable errors (a broker it cannot reach). Like Java's
 * producer, a retriable failure is sent again after a backoff until the delivery timeout;
 * only then does the caller get DeliveryTimeoutError.
 */
export class RecordSender {
  /** Each idempotent kafkajs producer's record sequence numbers (see SequenceBook). */
  private readonly books = new WeakMap<Producer, SequenceBook>();
  /** Each partition's lane (see {@link laneOf}). */
  private readonly lanes = new Map<string, number>();
  private nextLane = 0;

  constructor(
    private readonly pool: ProducerPool,
    private readonly requestTimeoutMs: number,
    private readonly backoff: BackoffSettings,
    private readonly logger: Logger,
  ) {
    installProduceEncoder();
  }

  /** The accumulator's Transmit: settles every record, resolves when kafkajs is done. */
  readonly transmit = async (
    batches: ProducerBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    deadline: number,
  ): Promise<void> => {
    // Callers get their answer by the deadline; kafkajs may finish later, and only then
    // is the request's memory free (the accumulator waits for this promise).
    const timeout = () => {
      for (const batch of batches) {
        batch.fail(new DeliveryTimeoutError(batch.topic, profile.deliveryTimeoutMs));
      }
    };
    const timer = setTimeout(timeout, Math.max(0, deadline - Date.now()));
    try {
      let pending = batches;
      for (let attempt = 1; ; attempt++) {
        const failures = profile.idempotent
          ? await this.sendPerPartition(pending, profile, compression)
          : await this.sendOne(pending, profile, compression);
        const retry: ProducerBatch[] = [];
        const wait = this.backoffMs(attempt);
        for (const failure of failures) {
          const error = toProducerError(failure.error, failure.batches[0].topic);
          const open = failure.batches.filter((batch) => !batch.failure);
          if (open.length === 0) continue;
          if (!error.retriable || this.pool.closed) {
            this.fail(open, failure.error);
          } else if (Date.now() + wait >= deadline) {
            // No time for another try: what Java reports then, with the reason inside.
            const timeoutMs = profile.deliveryTimeoutMs;
            this.logger.warn(
              `gave up on ${count(open)} record(s) at the delivery timeout: ${error.message}`,
            );
            for (const b of open) b.fail(new DeliveryTimeoutError(b.topic, timeoutMs, error));
          } else {
            this.logger.warn(
              `retrying ${count(open)} record(s) in ${wait} ms (${error.name}): ${error.message}`,
            );
            retry.push(...open);
          }
        }
        if (retry.length === 0) break;
        await sleep(wait);
        pending = retry.filter((batch) => !batch.failure);
        if (pending.length === 0) break;
      }
    } finally {
      clearTimeout(timer);
    }
  };

  /** Java's backoff: doubling from retryBackoffMs up to retryBackoffMaxMs, ±20% jitter. */
  private backoffMs(attempt: number): number {
    const { retryBackoffMs, retryBackoffMaxMs } = this.backoff;
    const base = Math.min(retryBackoffMs * 2 ** (attempt - 1), retryBackoffMaxMs);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** One request for every batch (kafkajs splits it per leader). */
  private async sendOne(
    batches: ProducerBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<Failure[]> {
    let lease: ProducerLease | undefined;
    try {
      lease = await this.pool.acquire(profile);
      const request = await this.request(batches, profile, compression);
      const metadata = await lease.producer.sendBatch(request);
      this.settle(batches, metadata, profile);
      return [];
    } catch (error) {
      return [{ batches, error }];
    } finally {
      lease?.release();
    }
  }

  /**
   * One `sendBatch` per partition, all at once, each with its partition's lane (see
   * ProducerPool: kafkajs sends one request per broker at a time per producer, so lanes
   * send side by side). kafkajs retries a request that spans several leaders by re-sending
   * to every leader that has not answered yet, even one whose first request is still in
   * flight: new sequence numbers for records already sent, i.e. duplicates the broker
   * cannot detect. A request for one partition always goes to one leader, so its retries
   * reuse its numbers. After a failure whose outcome is unknown the lane's producer is
   * replaced (see ProducerPool); the other lanes keep theirs.
   */
  private async sendPerPartition(
    batches: ProducerBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
  ): Promise<Failure[]> {
    const byLane = new Map<number, ProducerBatch[][]>();
    for (const own of this.byPartition(batches)) {
      const lane = this.laneOf(own[0], profile);
      const list = byLane.get(lane);
      if (list) list.push(own);
      else byLane.set(lane, [own]);
    }
    const failures: Failure[] = [];
    await Promise.all(
      [...byLane].map(([lane, partitions]) =>
        this.sendLane(lane, partitions, profile, compression, failures),
      ),
    );
    return failures;
  }

  /** One lane's share of {@link sendPerPartition}: its failures are added to `failures`. */
  private async sendLane(
    lane: number,
    partitions: ProducerBatch[][],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    failures: Failure[],
  ): Promise<void> {
    let lease: ProducerLease;
    try {
      lease = await this.pool.acquire(profile, lane);
    } catch (error) {
      for (const own of partitions) failures.push({ batches: own, error });
      return;
    }
    let inDoubt = false;
    try {
      await Promise.all(
        partitions.map(async (own) => {
          try {
            const request = await this.request(own, profile, compression, this.bookOf(lease));
            this.settle(own, await lease.producer.sendBatch(request), profile);
          } catch (error) {
            if (outcomeInDoubt(error)) inDoubt = true;
            failures.push({ batches: own, error });
          }
        }),
      );
    } finally {
      lease.release(inDoubt);
    }
  }

  /**
   * A partition's lane: given round-robin the first time the partition is sent, then kept,
   * so one producer numbers all of its records.
   */
  private laneOf(batch: ProducerBatch, profile: ReliabilityProfile): number {
    const lanes = this.pool.lanes(profile);
    if (lanes === 1) return 0;
    const slot = slotKey(batch.topic, batch.partition);
    let lane = this.lanes.get(slot);
    if (lane === undefined) {
      lane = this.nextLane++ % lanes;
      this.lanes.set(slot, lane);
    }
    return lane;
  }

  private bookOf(lease: ProducerLease): SequenceBook {
    let book = this.books.get(lease.producer);
    if (!book) this.books.set(lease.producer, (book = new SequenceBook()));
    return book;
  }

  private byPartition(batches: ProducerBatch[]): ProducerBatch[][] {
    const slots = new Map<string, ProducerBatch[]>();
    for (const batch of batches) {
      const slot = slotKey(batch.topic, batch.partition);
      const list = slots.get(slot);
      if (list) list.push(batch);
      else slots.set(slot, [batch]);
    }
    return [...slots.values()];
  }

  /**
   * A `sendBatch` request: each partition's batches encoded as one record batch (see
   * lib/protocol), handed to kafkajs as stand-in messages it counts and routes.
   */
  private async request(
    batches: ProducerBatch[],
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    book?: SequenceBook,
  ): Promise<ProducerBatchRequest> {
    const codec = compressionType(compression);
    return {
      acks: profile.acks,
      timeout: this.requestTimeoutMs,
      compression: codec,
      topicMessages: await this.topicMessages(batches, codec, book),
    };
  }

  private fail(batches: ProducerBatch[], error: unknown): void {
    const first = toProducerError(error, batches[0].topic);
    this.logger.warn(`gave up on ${count(batches)} record(s) (${first.name}): ${first.message}`);
    for (const batch of batches) batch.fail(toProducerError(error, batch.topic));
  }

  private async topicMessages(
    batches: ProducerBatch[],
    codec: ReturnType<typeof compressionType>,
    book?: SequenceBook,
  ): Promise<TopicMessages[]> {
    const byTopic = new Map<string, Message[]>();
    for (const own of this.byPartition(batches)) {
      const { topic, partition } = own[0];
      const records: OutgoingRecord[] = [];
      for (const batch of own) for (const { record } of batch.records) records.push(record);
      const encoded = await RecordBatch.encode(records, codec);
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      for (const m of standIns(encoded, partition, book)) messages.push(m);
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  private settle(
    batches: ProducerBatch[],
    metadata: RecordMetadata[],
    profile: ReliabilityProfile,
  ) {
    const base = new Map<string, number>();
    for (const m of metadata)
      base.set(slotKey(m.topicName, m.partition), Number(m.baseOffset ?? -1));
    // Several batches of one partition travel as one record batch: positions run on.
    for (const batch of batches) {
      const slot = slotKey(batch.topic, batch.partition);
      const first = profile.acks === 0 ? undefined : base.get(slot);
      if (profile.acks !== 0 && first === undefined) {
        // kafkajs resolved without an answer for this partition (it tracks answers per
        // broker, and a leader move can leave a partition unsent): never report it acked.
        batch.fail(
          new SendFailedError(
            batch.topic,
            true,
            undefined,
            `no broker answer for partition ${batch.partition}`,
          ),
        );
        continue;
      }
      if (first !== undefined) base.set(slot, first + batch.records.length);
      const records = batch.records;
      for (let i = 0; i < records.length; i++) {
        const { record, resolve } = records[i];
        resolve({
          topic: batch.topic,
          partition: batch.partition,
          // Offsets stay below 2^53 (9 quadrillion records in one partition): exact as numbers.
          offset: first === undefined ? '-1' : String(first + i),
          key: record.keyValue,
          timestamp: String(record.timestamp),
          eventId: record.eventId,
        });
      }
    }
  }
}
