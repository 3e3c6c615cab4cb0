import { Logger } from '@nestjs/common';
import { ConfigurationError } from '../errors/configuration.error.js';
import { TransactionFencedError } from '../errors/transaction-fenced.error.js';
import type { ReliabilityProfile } from '../interfaces/reliability.interface.js';
import type { TransactionalTransport } from '../transport/transport.interface.js';
import type { TransactionEngine } from './transaction-engine.js';
import { TransactionPool, type TransactionPoolSettings } from './transaction-pool.js';
import type { TransactionalParts } from './transactional-producer.js';

const ALL: ReliabilityProfile = {
  id: 'all',
  acks: -1,
  idempotent: true,
  retries: 1,
  deliveryTimeoutMs: 1000,
};

/** Parts of one member: an engine that acks at once, a transport that logs its calls. */
function parts(log: string[], fenceAt: Set<string>) {
  return (transactionalId: string): TransactionalParts => {
    const engine: TransactionEngine = {
      start: () => Promise.resolve(),
      close: () => (log.push(`close ${transactionalId}`), Promise.resolve()),
      profileOf: () => ALL,
      send: () =>
        Promise.resolve({
          topic: 't',
          partition: 0,
          offset: '0',
          timestamp: '0',
          key: null,
          eventId: 'e',
        }),
      sendMany: () => Promise.resolve([]),
      flush: () => Promise.resolve(),
    };
    const transport = {
      transactionalId,
      open: () => (log.push(`open ${transactionalId}`), Promise.resolve()),
      init: () => Promise.resolve(),
      begin: () => void log.push(`begin ${transactionalId}`),
      sendOffsets: () => Promise.resolve(),
      end: (commit: boolean) => {
        log.push(`${commit ? 'commit' : 'abort'} ${transactionalId}`);
        if (fenceAt.has(transactionalId)) {
          return Promise.reject(new TransactionFencedError(transactionalId));
        }
        return Promise.resolve();
      },
    } as unknown as TransactionalTransport;
    return { engine, transport };
  };
}

function setup(settings: Partial<TransactionPoolSettings> = {}) {
  const log: string[] = [];
  const fenceAt = new Set<string>();
  const logger = new Logger('test');
  logger.error = () => undefined;
  const pool = new TransactionPool(
    {
      transactionalIdPrefix: 'app',
      transactionalProducers: 2,
      transactionTimeoutMs: 60_000,
      ...settings,
    },
    parts(log, fenceAt),
    logger,
  );
  return { log, fenceAt, pool };
}

/** A promise the test resolves. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('TransactionPool', () => {
  it('takes every transactional id when it opens', async () => {
    const { log, pool } = setup({ transactionalProducers: 3 });
    await pool.open();
    expect(log).toEqual(['open app-0', 'open app-1', 'open app-2']);
  });

  it('runs as many transactions at once as it has producers; the next waits for a free one', async () => {
    const { log, pool } = setup();
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g) => pool.transaction(() => g.promise));
    await tick();
    expect(log.filter((l) => l.startsWith('begin'))).toEqual(['begin app-0', 'begin app-1']);
    gates[1].open();
    await tick();
    expect(log.filter((l) => l.startsWith('begin'))).toEqual([
      'begin app-0',
      'begin app-1',
      'begin app-1',
    ]);
    gates[0].open();
    gates[2].open();
    await Promise.all(runs);
    expect(log.filter((l) => l.startsWith('commit'))).toEqual([
      'commit app-1',
      'commit app-0',
      'commit app-1',
    ]);
  });

  it('knows the current transaction inside the callback and refuses a nested one', async () => {
    const { pool } = setup();
    expect(pool.current()).toBeUndefined();
    await pool.transaction(async (tx) => {
      expect(pool.current()).toBe(tx);
      await expect(pool.transaction(async () => 1)).rejects.toMatchObject({
        name: 'TransactionUsageError',
        reason: 'nested',
      });
    });
  });

  it('refuses transaction() without transactionalIdPrefix, and a bad pool size', async () => {
    const { pool, log } = setup({ transactionalIdPrefix: undefined });
    await expect(pool.transaction(async () => 1)).rejects.toMatchObject({
      reason: 'not-configured',
    });
    await pool.open();
    expect(log).toEqual([]);
    expect(() => setup({ transactionalProducers: 0 })).toThrow(ConfigurationError);
  });

  it('closes its producers; a transaction after close() rejects with ProducerNotConnectedError', async () => {
    const { log, pool } = setup();
    await pool.open();
    await pool.close();
    expect(log.filter((l) => l.startsWith('close'))).toEqual(['close app-0', 'close app-1']);
    await expect(pool.transaction(async () => 1)).rejects.toMatchObject({
      name: 'ProducerNotConnectedError',
      retriable: false,
    });
  });

  it('drops a fenced producer without replacing it; with none left, transactions are fenced', async () => {
    const { log, fenceAt, pool } = setup();
    fenceAt.add('app-0');
    await expect(pool.transaction(async () => 1)).rejects.toBeInstanceOf(TransactionFencedError);
    expect(log).toContain('close app-0');
    await expect(pool.transaction(async () => 2)).resolves.toBe(2);
    expect(log.slice(-1)).toEqual(['commit app-1']);
    fenceAt.add('app-1');
    await expect(pool.transaction(async () => 3)).rejects.toBeInstanceOf(TransactionFencedError);
    await expect(pool.transaction(async () => 4)).rejects.toBeInstanceOf(TransactionFencedError);
  });
});
