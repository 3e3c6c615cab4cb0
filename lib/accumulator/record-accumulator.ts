import { DeliveryTimeoutError } from '../errors/delivery-timeout.error.js';
import type { CompressionCodec } from '../interfaces/compression.interface.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import type { BufferMemory } from './buffer-memory.js';
import { slotKey } from '../record/slot-key.js';
import { ProducerBatch } from './producer-batch.js';

/** Per-record bookkeeping counted against `bufferMemory` on top of its serialized bytes. */
export const RECORD_OVERHEAD_BYTES = 64;

/** The bytes a record holds in `bufferMemory`: its serialized size plus bookkeeping. */
export function bytesFor(record: OutgoingRecord): number {
  return record.size + RECORD_OVERHEAD_BYTES;
}

/** Accumulator settings (Java's names in brackets). */
export interface AccumulatorSettings {
  /** How long a batch waits for more records [linger.ms]. */
  readonly lingerMs: number;
  /** Bytes that make a batch full [batch.size]. */
  readonly batchSize: number;
  /**
   * Requests a profile (and codec) may have in flight at once
   * [max.in.flight.requests.per.connection]; the transport says, see idempotence/in-flight.ts.
   */
  readonly maxInFlight: (profile: ReliabilityProfile) => number;
  /** Bytes of one partition's records in one request at most [max.request.size]. */
  readonly maxRequestSize: number;
}

/**
 * Sends one request holding the head batch of each partition. Settles every record of
 * every batch (acked, failed, or timed out at `deadline`), and resolves once the client
 * is done with the request, which is when the batches' memory may be reused. Never rejects.
 */
export type Transmit = (
  batches: ProducerBatch[],
  profile: ReliabilityProfile,
  compression: CompressionCodec,
  deadline: number,
) => Promise<void>;

/** The batches of one reliability profile and codec: what one drain (request) can carry. */
interface Group {
  readonly profile: ReliabilityProfile;
  readonly compression: CompressionCodec;
  /** Per topic-partition, the batches in order: only the last one takes new records. */
  readonly queues: Map<string, ProducerBatch[]>;
  /** Partitions with a request in flight: not drained again until it completes. */
  readonly muted: Set<string>;
  inFlight: number;
  timer?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
}

/**
 * Java's RecordAccumulator: records from concurrent `send()` calls are
 * grouped per reliability profile, codec and topic-partition into batches. A group is
 * sent, one request carrying the oldest batch of each of its partitions, as soon as a
 * batch is full (`batchSize`), has waited `lingerMs`, or a flush asks; at most
 * `maxInFlightRequests` requests per group are in flight, and while they are, records
 * keep filling batches. A partition with a request in flight is not drained again until
 * that request completes (retries included): a retry never overtakes a later batch, which
 * keeps each partition (and so each key) in order, and an idempotent partition's batches
 * are numbered in order. Batches that wait past their delivery timeout fail with
 * DeliveryTimeoutError.
 */
export class RecordAccumulator {
  private readonly groups = new Map<string, Group>();
  /** The group of a profile object and codec, without building its id each time. */
  private readonly groupOf = new WeakMap<ReliabilityProfile, Map<CompressionCodec, Group>>();
  private flushing = 0;
  private closedWith?: Error;
  /** Batches not finished yet: queued, or in a request not answered yet. */
  private readonly unfinished = new Set<ProducerBatch>();
  private appendCount = 0;

  constructor(
    private readonly settings: AccumulatorSettings,
    private readonly memory: BufferMemory,
    private readonly transmit: Transmit,
    /** Told of a batch the accumulator fails (delivery timeout, shutdown, failQueued). */
    private readonly onFailed?: (batch: ProducerBatch, error: Error) => void,
  ) {}

  /**
   * Accepts a record for `partition`; resolves with its report once acked. Waits for
   * buffer memory when full (up to `maxBlockMs`, then BufferExhaustedError), unless the
   * caller already holds `reserved` bytes for it (see {@link bytesFor}).
   */
  append(
    record: OutgoingRecord,
    partition: number,
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    reserved?: number,
  ): Promise<DeliveryReport> {
    if (reserved !== undefined) {
      return this.enqueue(record, partition, profile, compression, reserved);
    }
    reserved = bytesFor(record);
    const wait = this.memory.reserve(reserved);
    if (wait) {
      return wait.then(() => this.enqueue(record, partition, profile, compression, reserved));
    }
    return this.enqueue(record, partition, profile, compression, reserved);
  }

  /**
   * How many records were appended so far: a caller that sees it change across its
   * `append()` knows the record is in a batch (and so covered by {@link drained}).
   */
  get appends(): number {
    return this.appendCount;
  }

  /** Records in batches not finished yet (queued or in flight). */
  get unfinishedRecords(): number {
    let count = 0;
    for (const batch of this.unfinished) count += batch.records.length;
    return count;
  }

  /** Resolves once every batch there is now is finished: each of its records settled. */
  drained(): Promise<void> {
    const batches = [...this.unfinished];
    if (batches.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = batches.length;
      const one = () => {
        if (--left === 0) resolve();
      };
      for (const batch of batches) batch.whenFinished(one);
    });
  }

  /** Sends every batch now, ignoring linger, until `done` settles. */
  async flush(done: Promise<unknown>): Promise<void> {
    this.flushing++;
    try {
      for (const group of this.groups.values()) this.pump(group);
      await done;
    } finally {
      this.flushing--;
    }
  }

  /**
   * Fails every record not yet handed to the client and every caller waiting for memory;
   * later appends fail with the same error.
   */
  abort(error: Error): void {
    this.closedWith = error;
    this.memory.rejectWaiters(error);
    for (const group of this.groups.values()) {
      this.clearTimers(group);
      for (const queue of group.queues.values()) {
        for (const batch of queue.splice(0)) this.drop(batch, error);
      }
      group.queues.clear();
    }
  }

  /**
   * Fails every batch still queued for `topic`/`partition`, in every profile, with `error`
   * (not those in a request). The outbox's fallback mode calls it when a record of the
   * partition is stored after a retriable failure, so that the records queued behind it are
   * stored now, in order, instead of being sent after it.
   */
  failQueued(topic: string, partition: number, error: Error): void {
    const slot = slotKey(topic, partition);
    for (const group of this.groups.values()) {
      const queue = group.queues.get(slot);
      if (!queue) continue;
      group.queues.delete(slot);
      for (const batch of queue.splice(0)) this.drop(batch, error);
    }
  }

  /** Records waiting in batches (not yet handed to the client). */
  get queuedRecords(): number {
    let count = 0;
    for (const group of this.groups.values()) {
      for (const queue of group.queues.values()) for (const b of queue) count += b.records.length;
    }
    return count;
  }

  private enqueue(
    record: OutgoingRecord,
    partition: number,
    profile: ReliabilityProfile,
    compression: CompressionCodec,
    reserved: number,
  ): Promise<DeliveryReport> {
    if (this.closedWith) {
      this.memory.release(reserved);
      return Promise.reject(this.closedWith);
    }
    this.appendCount++;
    return new Promise<DeliveryReport>((resolve, reject) => {
      const group = this.group(profile, compression);
      const slot = slotKey(record.topic, partition);
      let queue = group.queues.get(slot);
      if (!queue) {
        queue = [];
        group.queues.set(slot, queue);
      }
      let batch = queue[queue.length - 1];
      if (
        !batch ||
        (batch.records.length > 0 && batch.bytes + reserved > this.settings.batchSize)
      ) {
        batch = new ProducerBatch(record.topic, partition, Date.now());
        queue.push(batch);
        this.unfinished.add(batch);
      }
      batch.add({ record, reserved, resolve, reject });
      if (group.muted.has(slot)) {
        if (!group.timer) this.schedule(group, this.nextWake(group, Date.now()));
      } else if (batch.bytes >= this.settings.batchSize || queue.length > 1) {
        this.pump(group);
      } else if (this.settings.lingerMs === 0 || this.flushing > 0) {
        // Gather what else arrives in this turn of the event loop into the same request.
        group.immediate ??= setImmediate(() => {
          group.immediate = undefined;
          this.pump(group);
        });
      } else if (!group.timer) {
        this.schedule(group, this.settings.lingerMs);
      }
    });
  }

  private group(profile: ReliabilityProfile, compression: CompressionCodec): Group {
    let byCodec = this.groupOf.get(profile);
    if (!byCodec) this.groupOf.set(profile, (byCodec = new Map()));
    let group = byCodec.get(compression);
    if (group) return group;
    // Profiles with the same id (e.g. the outbox relay's and the default) share a group.
    const id = `${profile.id}|${compression}`;
    group = this.groups.get(id);
    if (!group) {
      group = { profile, compression, queues: new Map(), muted: new Set(), inFlight: 0 };
      this.groups.set(id, group);
    }
    byCodec.set(compression, group);
    return group;
  }

  /** Sends what is ready while requests may be added, then sets the timer for what is left. */
  private pump(group: Group): void {
    this.clearTimers(group);
    const now = Date.now();
    this.expire(group, now);
    while (group.inFlight < this.maxInFlight(group) && this.ready(group, now)) {
      this.send(group);
    }
    if (group.queues.size > 0) this.schedule(group, this.nextWake(group, now));
  }

  private ready(group: Group, now: number): boolean {
    const { batchSize, lingerMs } = this.settings;
    const eager = this.flushing > 0 || lingerMs === 0;
    for (const [slot, queue] of group.queues) {
      if (group.muted.has(slot)) continue;
      if (eager) return true;
      const head = queue[0];
      if (queue.length > 1 || head.bytes >= batchSize || now - head.createdAt >= lingerMs) {
        return true;
      }
    }
    return false;
  }

  /**
   * A partition's bytes in one request: several batches' worth, since a partition has one
   * request in flight at a time (docs/performance.md has the measurements behind 4 and 16).
   */
  private requestBytesPerPartition(group: Group): number {
    const batches = group.profile.idempotent ? 16 : 4;
    return Math.min(this.settings.maxRequestSize, batches * this.settings.batchSize);
  }

  private maxInFlight(group: Group): number {
    return this.settings.maxInFlight(group.profile);
  }

  /**
   * One request: from every partition without a request in flight, its oldest batches
   * (as many as fit in `maxRequestSize`; the sender writes them as one record batch).
   */
  private send(group: Group): void {
    const batches: ProducerBatch[] = [];
    const slots: string[] = [];
    let deadline = Infinity;
    for (const [slot, queue] of group.queues) {
      if (group.muted.has(slot)) continue;
      let bytes = 0;
      while (
        queue.length > 0 &&
        (bytes === 0 || bytes + queue[0].bytes <= this.requestBytesPerPartition(group))
      ) {
        const batch = queue.shift()!;
        bytes += batch.bytes;
        batches.push(batch);
        deadline = Math.min(deadline, batch.createdAt + group.profile.deliveryTimeoutMs);
      }
      if (queue.length === 0) group.queues.delete(slot);
      group.muted.add(slot);
      slots.push(slot);
    }
    group.inFlight++;
    void this.transmit(batches, group.profile, group.compression, deadline).then(() => {
      group.inFlight--;
      for (const slot of slots) group.muted.delete(slot);
      for (const batch of batches) this.finish(batch);
      this.pump(group);
    });
  }

  /** Fails batches that waited in the accumulator past their delivery timeout. */
  private expire(group: Group, now: number): void {
    const timeout = group.profile.deliveryTimeoutMs;
    for (const [slot, queue] of group.queues) {
      while (queue.length > 0 && now - queue[0].createdAt >= timeout) {
        const batch = queue.shift()!;
        this.drop(batch, new DeliveryTimeoutError(batch.topic, timeout));
      }
      if (queue.length === 0) group.queues.delete(slot);
    }
  }

  /** When to look at the group again: the next linger expiry or delivery timeout. */
  private nextWake(group: Group, now: number): number {
    let wake = Infinity;
    const blocked = group.inFlight >= this.maxInFlight(group);
    for (const [slot, queue] of group.queues) {
      const head = queue[0];
      wake = Math.min(wake, head.createdAt + group.profile.deliveryTimeoutMs);
      if (!blocked && !group.muted.has(slot)) {
        wake = Math.min(wake, head.createdAt + this.settings.lingerMs);
      }
    }
    return Math.max(1, wake - now);
  }

  private schedule(group: Group, delayMs: number): void {
    clearTimeout(group.timer);
    group.timer = setTimeout(() => {
      group.timer = undefined;
      this.pump(group);
    }, delayMs);
  }

  private clearTimers(group: Group): void {
    clearTimeout(group.timer);
    group.timer = undefined;
    if (group.immediate) clearImmediate(group.immediate);
    group.immediate = undefined;
  }

  private drop(batch: ProducerBatch, error: Error): void {
    if (batch.fail(error)) this.onFailed?.(batch, error);
    this.finish(batch);
  }

  /** Done with a batch (answered or dropped): its memory is free, drained() stops waiting. */
  private finish(batch: ProducerBatch): void {
    this.memory.release(batch.bytes);
    this.unfinished.delete(batch);
    batch.finish();
  }
}
