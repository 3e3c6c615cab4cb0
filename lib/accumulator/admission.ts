import { RecordTooLargeError } from '../errors/record-too-large.error.js';
import type { EventDescriptor } from '../metadata/event-descriptor.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { BufferMemory, type MemoryWaiter } from './buffer-memory.js';
import { bytesFor, RECORD_OVERHEAD_BYTES } from './record-accumulator.js';

/** What a record of a class not seen yet is assumed to take in bufferMemory. */
const FIRST_SIZE_ESTIMATE = 1024 + RECORD_OVERHEAD_BYTES;

/**
 * Admission to bufferMemory (Java's `buffer.memory` and `max.block.ms`), the one owner of
 * reserving, estimating, settling and releasing a record's bytes, and of the callers that
 * wait for room. A `send()` reserves before its event is built, at the size of its class's
 * last record (so a full buffer stops work before it is done), and settles the difference
 * once the record is built; the bytes come back when the accumulator is done with it.
 */
export class Admission {
  readonly memory: BufferMemory;
  /** Each event class's last record size, the estimate for its next one. */
  private readonly sizes = new WeakMap<EventDescriptor, number>();

  constructor(bufferMemory: number, maxBlockMs: number) {
    this.memory = new BufferMemory(bufferMemory, maxBlockMs);
  }

  /** The bytes a record of `descriptor`'s class is expected to take (at most all of it). */
  estimate(descriptor: EventDescriptor): number {
    return Math.min(this.sizes.get(descriptor) ?? FIRST_SIZE_ESTIMATE, this.memory.total);
  }

  /** Reserves `bytes` if they are free now and nobody waits before it. */
  tryReserve(bytes: number): boolean {
    return this.memory.tryReserve(bytes);
  }

  /** Queues a caller until its bytes are free, or until `maxBlockMs` (BufferExhaustedError). */
  wait(waiter: MemoryWaiter): void {
    this.memory.wait(waiter);
  }

  /**
   * A built record that holds `estimate` bytes: reserves its real size instead (which becomes
   * its class's next estimate) and returns it. A record larger than bufferMemory throws
   * RecordTooLargeError, and its caller still holds `estimate`.
   */
  settle(record: OutgoingRecord, descriptor: EventDescriptor, estimate: number): number {
    const bytes = bytesFor(record);
    if (bytes > this.memory.total) {
      throw new RecordTooLargeError(bytes, this.memory.total, 'bufferMemory');
    }
    if (this.sizes.get(descriptor) !== bytes) this.sizes.set(descriptor, bytes);
    this.memory.adjust(bytes - estimate);
    return bytes;
  }

  release(bytes: number): void {
    this.memory.release(bytes);
  }

  /** Callers waiting for room now, oldest first. */
  waiting(): readonly MemoryWaiter[] {
    return this.memory.queued();
  }
}
