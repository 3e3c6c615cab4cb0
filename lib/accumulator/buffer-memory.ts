import { BufferExhaustedError } from '../errors/buffer-exhausted.error.js';
import { RecordTooLargeError } from '../errors/record-too-large.error.js';

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/**
 * Bounds the bytes the producer holds (Java `buffer.memory`): records reserve their size
 * when accepted and give it back once acked or failed. When full, callers wait in FIFO
 * order up to `maxBlockMs`, then get BufferExhaustedError.
 */
export class BufferMemory {
  private available: number;
  private readonly waiters: Waiter[] = [];

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
    if (bytes > this.total) return Promise.reject(new RecordTooLargeError(bytes, this.total));
    if (this.waiters.length === 0 && this.available >= bytes) {
      this.available -= bytes;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes, resolve, reject };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new BufferExhaustedError(bytes, this.total, this.maxBlockMs));
        this.grant(); // the next waiter may fit where this one did not
      }, this.maxBlockMs);
      this.waiters.push(waiter);
    });
  }

  /** Gives `bytes` back and wakes the waiters that now fit, oldest first. */
  release(bytes: number): void {
    this.available += bytes;
    this.grant();
  }

  /** Fails every waiter (shutdown). */
  rejectWaiters(error: Error): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  private grant(): void {
    while (this.waiters.length > 0 && this.available >= this.waiters[0].bytes) {
      const waiter = this.waiters.shift()!;
      clearTimeout(waiter.timer);
      this.available -= waiter.bytes;
      waiter.resolve();
    }
  }
}
