/**
 * Keeps records in call order between `send()` and the accumulator. Each call takes a
 * ticket synchronously; its append runs only after every earlier ticket has appended
 * or been skipped, so an async step (validation, a metadata lookup) that finishes out
 * of order cannot reorder a key's records.
 */
export class OrderingGate {
  private issued = 0;
  private next = 0;
  private readonly parked = new Map<number, () => void>();

  /** A ticket, in call order. */
  take(): number {
    return this.issued++;
  }

  /** Runs `fn` in ticket order: at once when it is this ticket's turn, else later. */
  run<T>(ticket: number, fn: () => Promise<T>): Promise<T> {
    if (ticket === this.next) {
      try {
        return fn();
      } finally {
        this.advance();
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.parked.set(ticket, () => {
        // Synchronously, so that no later ticket can slip in before it.
        try {
          fn().then(resolve, reject);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  /** Gives up a ticket whose record failed before appending. */
  skip(ticket: number): void {
    if (ticket === this.next) this.advance();
    else this.parked.set(ticket, () => undefined);
  }

  private advance(): void {
    this.next++;
    for (let run = this.parked.get(this.next); run; run = this.parked.get(this.next)) {
      this.parked.delete(this.next);
      this.next++;
      run();
    }
  }
}
