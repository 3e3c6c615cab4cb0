import { Logger } from '@nestjs/common';
import { SendFailedError } from '../errors/send-failed.error.js';
import { TransactionAbortedError } from '../errors/transaction-aborted.error.js';
import { TransactionFencedError } from '../errors/transaction-fenced.error.js';
import type { DeliveryReport } from '../interfaces/delivery-report.interface.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type { SendOptions } from '../interfaces/send-options.interface.js';
import type { TopicOffsets, TransactionalTransport } from '../transport/transport.interface.js';
import type { TransactionEngine } from './transaction-engine.js';
import { TransactionalProducer } from './transactional-producer.js';

const ALL: ReliabilityProfile = {
  id: 'all',
  acks: -1,
  idempotent: true,
  retries: 1,
  deliveryTimeoutMs: 1000,
};

/** A send the test answers: ack (with an offset) or fail. */
interface Pending {
  readonly id: string;
  ack(): void;
  fail(error: Error): void;
}

/** An engine whose sends wait for the test; `log` shares the order of events with the transport. */
class FakeEngine implements TransactionEngine {
  readonly pending: Pending[] = [];
  private readonly open = new Set<Promise<unknown>>();
  constructor(private readonly log: string[]) {}
  start = () => Promise.resolve();
  close = () => Promise.resolve();
  profileOf = (_event: object, options?: SendOptions): ReliabilityProfile =>
    options?.reliability === 'leader' ? { ...ALL, acks: 1, idempotent: false, id: 'leader' } : ALL;
  send(event: object): Promise<DeliveryReport> {
    const id = (event as { id: string }).id;
    this.log.push(`send ${id}`);
    let ack!: () => void;
    let fail!: (error: Error) => void;
    const promise = new Promise<DeliveryReport>((resolve, reject) => {
      ack = () => {
        this.log.push(`ack ${id}`);
        resolve({ topic: 't', partition: 0, offset: '0', timestamp: '0', key: null, eventId: id });
      };
      fail = (error) => {
        this.log.push(`fail ${id}`);
        reject(error);
      };
    });
    this.pending.push({ id, ack, fail });
    this.open.add(promise);
    const done = () => this.open.delete(promise);
    promise.then(done, done);
    return promise;
  }
  sendMany(events: readonly object[]): Promise<DeliveryReport[]> {
    return Promise.all(events.map((e) => this.send(e)));
  }
  async flush(): Promise<void> {
    await Promise.allSettled([...this.open]);
  }
}

class FakeTransport implements Pick<
  TransactionalTransport,
  'transactionalId' | 'open' | 'init' | 'begin' | 'sendOffsets' | 'end'
> {
  readonly transactionalId = 'app-0';
  /** Errors of the next end() calls. */
  readonly endErrors: Error[] = [];
  constructor(private readonly log: string[]) {}
  open = () => (this.log.push('open'), Promise.resolve());
  init = () => (this.log.push('init'), Promise.resolve());
  begin = () => void this.log.push('begin');
  sendOffsets(groupId: string, topics: readonly TopicOffsets[]): Promise<void> {
    this.log.push(`offsets ${groupId} ${topics.length}`);
    return Promise.resolve();
  }
  end(commit: boolean): Promise<void> {
    this.log.push(`end ${commit ? 'commit' : 'abort'}`);
    const error = this.endErrors.shift();
    return error ? Promise.reject(error) : Promise.resolve();
  }
}

function setup(timeoutMs = 60_000) {
  const log: string[] = [];
  const engine = new FakeEngine(log);
  const transport = new FakeTransport(log);
  const logger = new Logger('test');
  logger.warn = () => undefined;
  const producer = new TransactionalProducer(
    { engine, transport: transport as unknown as TransactionalTransport },
    timeoutMs,
    logger,
  );
  const run = <T>(callback: Parameters<typeof producer.run<T>>[0]) =>
    producer.run(callback, (_tx, call) => call());
  return { log, engine, transport, producer, run };
}

const event = (id: string) => ({ id });
/** Lets the promise callbacks queued so far run. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('TransactionalProducer', () => {
  it('commits only once every send of the transaction is acked, and returns the callback value', async () => {
    const { log, engine, run } = setup();
    const result = run(async (tx) => {
      void tx.send(event('a')); // not awaited by the callback
      void tx.sendMany([event('b'), event('c')]);
      return 'value';
    });
    await tick();
    expect(log).toEqual(['open', 'begin', 'send a', 'send b', 'send c']);
    for (const p of engine.pending) p.ack();
    await expect(result).resolves.toBe('value');
    expect(log.slice(5)).toEqual(['ack a', 'ack b', 'ack c', 'end commit']);
  });

  it('aborts and rethrows when the callback throws, after its sends are answered', async () => {
    const { log, engine, run } = setup();
    const boom = new Error('boom');
    const result = run(async (tx) => {
      void tx.send(event('a'));
      throw boom;
    });
    await tick();
    expect(log).not.toContain('end abort');
    engine.pending[0].ack();
    await expect(result).rejects.toBe(boom);
    expect(log.slice(-2)).toEqual(['ack a', 'end abort']);
  });

  it('aborts with TransactionAbortedError (cause: the failure) when a send failed, then takes a new epoch', async () => {
    const { log, engine, run } = setup();
    const cause = new SendFailedError('t', false, 'X', 'refused');
    const result = run(async (tx) => {
      const a = tx.send(event('a'));
      await tx.send(event('b')).catch(() => undefined); // the callback swallows it
      await a;
    });
    await tick();
    engine.pending[1].fail(cause);
    await tick();
    engine.pending[0].ack();
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionAbortedError);
    expect((error as Error).cause).toBe(cause);
    expect(log.slice(-2)).toEqual(['end abort', 'init']);
  });

  it('aborts a transaction that outlived transactionTimeoutMs', async () => {
    const { log, run } = setup(0);
    const result = run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    await expect(result).rejects.toBeInstanceOf(TransactionAbortedError);
    expect(log.slice(-1)).toEqual(['end abort']);
  });

  it('refuses sends after the callback finished and reliabilities other than all', async () => {
    const { engine, run } = setup();
    let kept: Parameters<Parameters<typeof run>[0]>[0] | undefined;
    await run(async (tx) => {
      await expect(tx.send(event('l'), { reliability: 'leader' })).rejects.toMatchObject({
        reason: 'reliability',
      });
      kept = tx;
    });
    await expect(kept!.send(event('late'))).rejects.toMatchObject({ reason: 'finished' });
    await expect(kept!.sendOffsets({ consumerGroupId: 'g', topics: [] })).rejects.toMatchObject({
      reason: 'finished',
    });
    expect(engine.pending).toEqual([]);
  });

  it('takes a new epoch when EndTxn abort fails, still rethrowing the callback error', async () => {
    const { log, transport, run } = setup();
    transport.endErrors.push(new SendFailedError('', true, 'COORDINATOR_NOT_AVAILABLE', 'gone'));
    const boom = new Error('boom');
    await expect(
      run(async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(log.slice(-2)).toEqual(['end abort', 'init']);
  });

  it('rejects with TransactionAbortedError when EndTxn commit fails, and takes a new epoch', async () => {
    const { log, transport, run } = setup();
    transport.endErrors.push(new SendFailedError('', false, 'INVALID_TXN_STATE', 'no'));
    await expect(
      run((tx) => tx.sendOffsets({ consumerGroupId: 'g', topics: [] })),
    ).rejects.toBeInstanceOf(TransactionAbortedError);
    expect(log.slice(-3)).toEqual(['offsets g 0', 'end commit', 'init']);
  });

  it('once fenced, rejects this and every later transaction with TransactionFencedError', async () => {
    const { log, transport, producer, run } = setup();
    const fenced = new TransactionFencedError('app-0');
    transport.endErrors.push(fenced);
    await expect(run(async () => 1)).rejects.toBe(fenced);
    expect(producer.fenced).toBe(fenced);
    await expect(run(async () => 2)).rejects.toBe(fenced);
    expect(log.filter((l) => l === 'begin')).toHaveLength(1);
  });
});
