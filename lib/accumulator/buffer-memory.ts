import { BufferExhaustedError } from '../errors/buffer-exhausted.error.js';
import { RecordTooLargeError } from '../errors/record-too-large.error.js';

/** A caller waiting for memory (see {@link BufferMemory.wait}). */
export interface MemoryWaiter {
  /** Bytes it needs. */
  readonly bytes: number;
  /** Set by {@link BufferMemory.wait}: when it gets BufferExhaustedError (ms). */
  deadline: number;
  /** Its bytes are reserved. */
  granted(): void;
  /** BufferExhaustedError after `maxBlockMs`, or the error of a shutdown. */
  failed(error: Error): void;
}

/**
 * Bounds the bytes the producer holds (Java `buffer.memory`): records reserve their size
 * when accepted and give it back once acked or failed. When full, callers wait in FIFO
 * order up to `maxBlockMs`, then get BufferExhaustedError. Waiting costs one small object
 * per caller and one timer in all (the oldest waiter's deadline), as many callers may wait.
 */
export class BufferMemory {
  private available: number;
  /** In deadline order, since every waiter waits `maxBlockMs`. */
  private readonly waiters: MemoryWaiter[] = [];
  /** Index of the oldest waiter still in `waiters` (a queue without shifting). */
  private head = 0;
  private timer?: NodeJS.Timeout;
  /** Ms callers spent waiting for memory, summed over those granted or failed so far. */
  private waitedMs = 0;

  constructor(
    readonly total: number,
    private readonly maxBlockMs: number,
  ) {
    this.available = total;
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.total - this.available;
  }

  /**
   * Reserves `bytes`. Returns undefined when reserved at once (the hot path allocates no
   * promise), else a promise that resolves once reserved or rejects after `maxBlockMs`.
   */
  reserve(bytes: number): Promise<void> | undefined {
    if (bytes > this.total)
      return Promise.reject(new RecordTooLargeError(bytes, this.total, 'bufferMemory'));
    if (this.tryReserve(bytes)) return undefined;
    return new Promise<void>((granted, failed) =>
      this.wait({ bytes, deadline: 0, granted, failed }),
    );
  }

  /** Reserves `bytes` if they are free now and nobody waits; false otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.head !== this.waiters.length || this.available < bytes) return false;
    this.available -= bytes;
    return true;
  }

  /**
   * Queues `waiter` (FIFO) until its bytes are free, at most `maxBlockMs`. The callback form
   * of {@link reserve}, for callers that must hold as little as possible while they wait.
   * `waiter.bytes` must not exceed `total`.
   */
  wait(waiter: MemoryWaiter): void {
    waiter.deadline = Date.now() + this.maxBlockMs;
    this.waiters.push(waiter);
    if (!this.timer) this.arm();
    this.grant();
  }

  /**
   * Takes `bytes` more (or gives back, if negative) for a record already admitted whose
   * size turned out other than reserved: never waits, and may go over `total` by that much.
   */
  adjust(bytes: number): void {
    this.available -= bytes;
    if (bytes < 0) this.grant();
  }

  /** Bytes free now (negative while a record's real size took more than was free). */
  get free(): number {
    return this.available;
  }

  /** Callers waiting for memory now. */
  get waitingCount(): number {
    return this.waiters.length - this.head;
  }

  /**
   * Ms callers have spent waiting for memory (Java's bufferpool-wait-time): those granted or
   * failed so far, plus the time the ones still waiting have waited.
   */
  waitTimeMs(now = Date.now()): number {
    let ms = this.waitedMs;
    for (let i = this.head; i < this.waiters.length; i++) {
      ms += now - (this.waiters[i].deadline - this.maxBlockMs);
    }
    return ms;
  }

  /** The callers waiting for memory, oldest first. */
  queued(): MemoryWaiter[] {
    return this.waiters.slice(this.head);
  }

  /** Gives `bytes` back and wakes the waiters that now fit, oldest first. */
  release(bytes: number): void {
    this.available += bytes;
    this.grant();
  }

  /** Fails every waiter (shutdown). */
  rejectWaiters(error: Error): void {
    const waiters = this.waiters.splice(0).slice(this.head);
    this.head = 0;
    this.disarm();
    const now = Date.now();
    for (const waiter of waiters) {
      this.waitedMs += now - (waiter.deadline - this.maxBlockMs);
      waiter.failed(error);
    }
  }

  private grant(): void {
    let now = 0;
    while (this.head < this.waiters.length && this.available >= this.waiters[this.head].bytes) {
      const waiter = this.waiters[this.head++];
      this.available -= waiter.bytes;
      this.waitedMs += (now ||= Date.now()) - (waiter.deadline - this.maxBlockMs);
      waiter.granted();
    }
    this.compact();
  }

  /** Fails the waiters whose deadline has passed (oldest first), then re-arms the timer. */
  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    // Thousands may expire at once; a stack trace (this timer's) would tell them nothing
    // and cost memory at the worst moment, so these errors carry none.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      while (this.head < this.waiters.length && this.waiters[this.head].deadline <= now) {
        const waiter = this.waiters[this.head++];
        this.waitedMs += this.maxBlockMs;
        waiter.failed(new BufferExhaustedError(waiter.bytes, this.total, this.maxBlockMs));
      }
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.compact();
    this.grant(); // the next waiter may fit where an expired one did not
  }

  private compact(): void {
    if (this.head === this.waiters.length) {
      this.waiters.length = 0;
      this.head = 0;
      this.disarm();
    } else {
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      if (!this.timer) this.arm();
    }
  }

  private arm(): void {
    const first = this.waiters[this.head];
    if (!first) return;
    this.timer = setTimeout(() => this.expire(), Math.max(0, first.deadline - Date.now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
