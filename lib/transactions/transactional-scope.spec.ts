import type { KafkaTransaction } from '../interfaces/transaction.interface.js';
import { currentScope, runTransactional, type TransactionRunner } from './transactional-scope.js';

/** A runner that logs each transaction's begin and end, and each send of its tx. */
function runner(log: string[]): TransactionRunner {
  let n = 0;
  return {
    async transaction<T>(callback: (tx: KafkaTransaction) => Promise<T>): Promise<T> {
      const id = `tx${++n}`;
      log.push(`begin ${id}`);
      const tx = {
        transactionalId: id,
        send: (event: object) => {
          log.push(`${id} send ${(event as { id: string }).id}`);
          return Promise.resolve({} as never);
        },
      } as unknown as KafkaTransaction;
      try {
        const value = await callback(tx);
        log.push(`commit ${id}`);
        return value;
      } catch (error) {
        log.push(`abort ${id}`);
        throw error;
      }
    },
  };
}

/** What ProducerService.send does inside a scope. */
async function send(r: TransactionRunner, id: string): Promise<void> {
  const scope = currentScope('p');
  if (!scope) throw new Error('no scope');
  await (await scope.join(r)).send({ id });
}

describe('runTransactional', () => {
  it('joins every send inside the method, however deep, to one transaction committed after it', async () => {
    const log: string[] = [];
    const r = runner(log);
    const value = await runTransactional('p', async () => {
      await send(r, 'a');
      await Promise.all([send(r, 'b'), runTransactional('p', () => send(r, 'c'))]);
      log.push('method done');
      return 7;
    });
    expect(value).toBe(7);
    expect(log).toEqual([
      'begin tx1',
      'tx1 send a',
      'tx1 send b',
      'tx1 send c',
      'method done',
      'commit tx1',
    ]);
    expect(currentScope('p')).toBeUndefined();
  });

  it('aborts when the method throws, rethrowing its error; begins nothing without a send', async () => {
    const log: string[] = [];
    const r = runner(log);
    const boom = new Error('boom');
    await expect(
      runTransactional('p', async () => {
        await send(r, 'a');
        throw boom;
      }),
    ).rejects.toBe(boom);
    await runTransactional('p', async () => undefined);
    await runTransactional('other', async () => expect(currentScope('p')).toBeUndefined());
    expect(log).toEqual(['begin tx1', 'tx1 send a', 'abort tx1']);
  });

  it('rejects the sends when the transaction cannot begin', async () => {
    const refused = new Error('not configured');
    const r: TransactionRunner = { transaction: () => Promise.reject(refused) };
    await expect(runTransactional('p', () => send(r, 'a'))).rejects.toBe(refused);
  });
});
