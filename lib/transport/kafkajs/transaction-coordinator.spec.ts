import { Logger } from '@nestjs/common';
import { AuthorizationError } from '../../errors/authorization.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { TransactionFencedError } from '../../errors/transaction-fenced.error.js';
import {
  isFenced,
  TransactionCoordinator,
  type KafkajsTxnBroker,
  type KafkajsTxnCluster,
} from './transaction-coordinator.js';
import { ProducerIdentity } from './sequence-book.js';

const protocolError = (type: string, code: number, retriable = false) =>
  Object.assign(new Error(`broker said ${type}`), {
    name: 'KafkaJSProtocolError',
    type,
    code,
    retriable,
  });

/** kafkajs's error when no broker named a coordinator (it drops each broker's answer). */
const notFound = () =>
  Object.assign(new Error('Failed to find group coordinator'), {
    name: 'KafkaJSGroupCoordinatorNotFound',
    retriable: false,
  });

/**
 * A coordinator whose EndTxn answers with `errors` first, then succeeds; FindCoordinator
 * fails as kafkajs does while `refusal` is set, a broker's own FindCoordinator answering with it.
 */
function setup(errors: Error[], maxBlockMs = 1000, refusal?: Error) {
  const calls: string[] = [];
  const broker = {
    endTxn: ({ transactionResult }: { transactionResult: boolean }) => {
      calls.push(`endTxn ${transactionResult}`);
      const error = errors.shift();
      return error ? Promise.reject(error) : Promise.resolve();
    },
    addOffsetsToTxn: ({ groupId }: { groupId: string }) => {
      calls.push(`addOffsetsToTxn ${groupId}`);
      const error = errors.shift();
      return error ? Promise.reject(error) : Promise.resolve();
    },
  } as unknown as KafkajsTxnBroker;
  const cluster: KafkajsTxnCluster = {
    refreshMetadata: () => Promise.resolve(),
    findGroupCoordinator: ({ coordinatorType }) => {
      calls.push(`find ${coordinatorType}`);
      return refusal ? Promise.reject(notFound()) : Promise.resolve(broker);
    },
    findControllerBroker: () =>
      Promise.resolve({
        findGroupCoordinator: ({ groupId }: { groupId: string }) => {
          calls.push(`ask ${groupId}`);
          return refusal ? Promise.reject(refusal) : Promise.resolve({});
        },
      }),
  };
  const logger = new Logger('test');
  logger.debug = () => undefined;
  const coordinator = new TransactionCoordinator(
    () => Promise.resolve(cluster),
    {
      transactionalId: 'app-0',
      transactionTimeoutMs: 60_000,
      maxBlockMs,
      retryBackoffMs: 1,
      retryBackoffMaxMs: 2,
    },
    logger,
  );
  const identity = new ProducerIdentity(7n, 1);
  return {
    calls,
    end: (commit: boolean) => coordinator.end(identity, commit),
    sendOffsets: (groupId: string) => coordinator.sendOffsets(identity, groupId, []),
  };
}

describe('TransactionCoordinator', () => {
  it('retries CONCURRENT_TRANSACTIONS with backoff until the coordinator takes the call', async () => {
    const concurrent = () => protocolError('CONCURRENT_TRANSACTIONS', 51);
    const { calls, end } = setup([concurrent(), concurrent(), concurrent()]);
    await end(true);
    expect(calls).toEqual(['find 1', 'endTxn true', 'endTxn true', 'endTxn true', 'endTxn true']);
  });

  it('finds the coordinator again after NOT_COORDINATOR or a lost connection', async () => {
    const lost = Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' });
    const { calls, end } = setup([protocolError('NOT_COORDINATOR', 16, true), lost]);
    await end(false);
    expect(calls).toEqual([
      'find 1',
      'endTxn false',
      'find 1',
      'endTxn false',
      'find 1',
      'endTxn false',
    ]);
  });

  it('turns a fenced answer into TransactionFencedError at once', async () => {
    const { calls, end } = setup([protocolError('INVALID_PRODUCER_EPOCH', 47)]);
    await expect(end(true)).rejects.toBeInstanceOf(TransactionFencedError);
    expect(calls).toEqual(['find 1', 'endTxn true']);
    expect(isFenced(protocolError('KAFKA_UNKNOWN_ERROR', 90))).toBe(true);
    expect(isFenced(protocolError('INVALID_TXN_STATE', 48))).toBe(false);
  });

  it('a transactional id or group the principal may not use: AuthorizationError naming it, at once', async () => {
    const txDenied = setup([], 1000, protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 53));
    const error = await txDenied.end(true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(error).toMatchObject({ resource: 'transactional-id', resourceName: 'app-0' });
    expect((error as Error).message).toMatch(/^the principal may not use transactional id app-0 /);
    expect(txDenied.calls).toEqual(['find 1', 'ask app-0']);
    const groupDenied = setup([protocolError('GROUP_AUTHORIZATION_FAILED', 30)]);
    const refused = await groupDenied.sendOffsets('billing').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthorizationError);
    expect(refused).toMatchObject({ resource: 'group', resourceName: 'billing', retriable: false });
    expect((refused as Error).message).toMatch(/offsets of consumer group billing /);
    expect(groupDenied.calls).toEqual(['find 1', 'addOffsetsToTxn billing']);
  });

  it('gives up at once on an answer that cannot change, and at maxBlockMs on one that can', async () => {
    const denied = setup([protocolError('INVALID_TXN_STATE', 48)]);
    await expect(denied.end(true)).rejects.toBeInstanceOf(SendFailedError);
    expect(denied.calls).toEqual(['find 1', 'endTxn true']);
    const busy = setup(
      Array.from({ length: 1000 }, () => protocolError('CONCURRENT_TRANSACTIONS', 51)),
      0,
    );
    await expect(busy.end(true)).rejects.toMatchObject({ brokerError: 'CONCURRENT_TRANSACTIONS' });
  });
});
