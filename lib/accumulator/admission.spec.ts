import { BufferExhaustedError } from '../errors/buffer-exhausted.error.js';
import { RecordTooLargeError } from '../errors/record-too-large.error.js';
import type { EventDescriptor } from '../metadata/event-descriptor.js';
import type { OutgoingRecord } from '../record/outgoing-record.js';
import { Admission } from './admission.js';
import type { MemoryWaiter } from './buffer-memory.js';
import { RECORD_OVERHEAD_BYTES } from './record-accumulator.js';

const descriptor = { className: 'Order', topic: 't' } as unknown as EventDescriptor;
const record = (size: number) => ({ size }) as OutgoingRecord;

function waiter(bytes: number) {
  const outcome: { granted?: boolean; error?: Error } = {};
  const w: MemoryWaiter = {
    bytes,
    deadline: 0,
    granted: () => (outcome.granted = true),
    failed: (error) => (outcome.error = error),
  };
  return { w, outcome };
}

describe('Admission', () => {
  it('estimates a class by its last record, and settles an estimate to the real size', () => {
    const admission = new Admission(100_000, 1000);
    const first = admission.estimate(descriptor);
    expect(first).toBe(1024 + RECORD_OVERHEAD_BYTES);
    expect(admission.tryReserve(first)).toBe(true);
    const held = admission.settle(record(100), descriptor, first);
    expect(held).toBe(100 + RECORD_OVERHEAD_BYTES);
    expect(admission.memory.used).toBe(held);
    expect(admission.estimate(descriptor)).toBe(held);
    admission.release(held);
    expect(admission.memory.used).toBe(0);
  });

  it('a record larger than all of bufferMemory is RecordTooLargeError naming bufferMemory; the estimate stays held', () => {
    const admission = new Admission(2000, 1000);
    const estimate = admission.estimate(descriptor);
    expect(admission.tryReserve(estimate)).toBe(true);
    let error: unknown;
    try {
      admission.settle(record(5000), descriptor, estimate);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RecordTooLargeError);
    expect((error as RecordTooLargeError).limitName).toBe('bufferMemory');
    expect((error as Error).message).toMatch(/more than bufferMemory \(2000 bytes\)/);
    expect(admission.memory.used).toBe(estimate); // the caller gives it back
  });

  it('waiting sends get their bytes in FIFO order as memory comes back', () => {
    const admission = new Admission(1000, 10_000);
    expect(admission.tryReserve(900)).toBe(true);
    const a = waiter(300);
    const b = waiter(100);
    admission.wait(a.w);
    admission.wait(b.w);
    expect(admission.tryReserve(50)).toBe(false); // nobody jumps the queue
    expect(admission.waiting()).toHaveLength(2);
    admission.release(200); // 300 free: the first waiter fits, the second not yet
    expect(a.outcome.granted).toBe(true);
    expect(b.outcome.granted).toBeUndefined();
    admission.release(100);
    expect(b.outcome.granted).toBe(true);
    expect(admission.waiting()).toHaveLength(0);
  });

  it('a waiting send gets BufferExhaustedError after maxBlockMs', async () => {
    const admission = new Admission(1000, 30);
    expect(admission.tryReserve(1000)).toBe(true);
    const a = waiter(10);
    admission.wait(a.w);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(a.outcome.error).toBeInstanceOf(BufferExhaustedError);
    expect(a.outcome.granted).toBeUndefined();
  });
});
