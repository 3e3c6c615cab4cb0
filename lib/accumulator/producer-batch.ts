import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';

/** A record waiting in a batch, with the callbacks of the `send()` that accepted it. */
export interface PendingRecord {
  readonly record: OutgoingRecord;
  /** Bytes reserved in BufferMemory for it. */
  readonly reserved: number;
  readonly resolve: (report: DeliveryReport) => void;
  readonly reject: (error: Error) => void;
}

/** Records for one topic-partition that go to the broker together, in order. */
export class ProducerBatch {
  readonly records: PendingRecord[] = [];
  /** Bytes reserved in BufferMemory by its records. */
  bytes = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** When the batch was opened (ms): linger and delivery timeout count from here. */
    readonly createdAt: number,
  ) {}

  add(pending: PendingRecord): void {
    this.records.push(pending);
    this.bytes += pending.reserved;
  }

  /** The error the batch failed with, if it did. */
  failure?: Error;

  /** Rejects every record with `error`; true the first time (the batch was not failed yet). */
  fail(error: Error): boolean {
    if (this.failure) return false;
    this.failure = error;
    for (const pending of this.records) pending.reject(error);
    return true;
  }

  private finishers?: Array<() => void>;
  private finished = false;

  /** Calls `fn` once the accumulator is done with the batch (sent and answered, or dropped). */
  whenFinished(fn: () => void): void {
    if (this.finished) fn();
    else (this.finishers ??= []).push(fn);
  }

  /** The accumulator is done with the batch: every record is settled. */
  finish(): void {
    this.finished = true;
    this.records.length = 0;
    for (const fn of this.finishers?.splice(0) ?? []) fn();
  }
}
