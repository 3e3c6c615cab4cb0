import { jest } from '@jest/globals';
import { BufferExhaustedError } from '../errors/buffer-exhausted.error.js';
import { RecordTooLargeError } from '../errors/record-too-large.error.js';
import { BufferMemory, type MemoryWaiter } from './buffer-memory.js';

/** A waiter that records what happened to it. */
function waiter(bytes: number, log: string[], name: string): MemoryWaiter {
  return {
    bytes,
    deadline: 0,
    granted: () => log.push(`${name} granted`),
    failed: (error) => log.push(`${name} ${error.constructor.name}`),
  };
}

describe('BufferMemory', () => {
  afterEach(() => jest.useRealTimers());

  it('reserves at once while there is room, and makes callers wait in FIFO order when full', async () => {
    const memory = new BufferMemory(100, 1000);
    expect(memory.reserve(60)).toBeUndefined();
    const order: string[] = [];
    const big = memory.reserve(50)!.then(() => order.push('big'));
    // Fits, but must not overtake the older waiter.
    const small = memory.reserve(10)!.then(() => order.push('small'));
    expect(memory.tryReserve(10)).toBe(false);
    memory.release(60);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(memory.used).toBe(60);
  });

  it('fails waiters with BufferExhaustedError after maxBlockMs, oldest first, with one timer', () => {
    jest.useFakeTimers();
    const memory = new BufferMemory(100, 1000);
    expect(memory.reserve(100)).toBeUndefined();
    const log: string[] = [];
    memory.wait(waiter(10, log, 'a'));
    jest.advanceTimersByTime(400);
    memory.wait(waiter(10, log, 'b'));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(600);
    expect(log).toEqual(['a BufferExhaustedError']);
    expect(memory.queued()).toHaveLength(1);
    jest.advanceTimersByTime(400);
    expect(log).toEqual(['a BufferExhaustedError', 'b BufferExhaustedError']);
    expect(jest.getTimerCount()).toBe(0);
    expect(memory.used).toBe(100);
  });

  it('adjust() settles an estimate without waiting, and a refund wakes waiters', () => {
    const memory = new BufferMemory(100, 1000);
    expect(memory.reserve(50)).toBeUndefined();
    memory.adjust(70); // the record was bigger than its estimate: may go over total
    expect(memory.used).toBe(120);
    const log: string[] = [];
    memory.wait(waiter(20, log, 'w'));
    memory.adjust(-60);
    expect(log).toEqual(['w granted']);
    expect(memory.used).toBe(80);
  });

  it('rejects a record larger than the whole buffer, and fails every waiter at shutdown', async () => {
    const memory = new BufferMemory(100, 1000);
    await expect(memory.reserve(101)).rejects.toBeInstanceOf(RecordTooLargeError);
    expect(memory.reserve(100)).toBeUndefined();
    const waiting = memory.reserve(1)!;
    memory.rejectWaiters(new Error('closing'));
    await expect(waiting).rejects.toThrow('closing');
    expect(memory.queued()).toHaveLength(0);
    const late = memory.reserve(1);
    expect(late).toBeInstanceOf(Promise);
    memory.rejectWaiters(new BufferExhaustedError(1, 100, 1000));
    await expect(late).rejects.toBeInstanceOf(BufferExhaustedError);
  });

  it('counts waiting callers and the time they waited (granted, expired or still waiting)', () => {
    jest.useFakeTimers({ now: 0 });
    const memory = new BufferMemory(100, 1000);
    expect(memory.reserve(100)).toBeUndefined();
    const log: string[] = [];
    memory.wait(waiter(60, log, 'a'));
    memory.wait(waiter(60, log, 'b'));
    expect(memory.waitingCount).toBe(2);
    jest.advanceTimersByTime(300);
    memory.release(60); // a is granted after 300 ms
    expect(log).toEqual(['a granted']);
    expect(memory.waitingCount).toBe(1);
    expect(memory.waitTimeMs()).toBe(300 + 300); // a's 300, and b's 300 so far
    jest.advanceTimersByTime(700); // b expires at maxBlockMs
    expect(log).toEqual(['a granted', 'b BufferExhaustedError']);
    expect(memory.waitingCount).toBe(0);
    expect(memory.waitTimeMs()).toBe(300 + 1000);
    expect(memory.free).toBe(100 - 100 + 60 - 60);
  });
});
