import type { Logger } from '@nestjs/common';
import { TransactionFencedError } from '../../errors/transaction-fenced.error.js';
import { backoffMs, sleep } from '../../utils/backoff.js';
import type { TopicOffsets } from '../transport.interface.js';
import { toProducerError } from './error-mapper.js';
import { ProducerIdentity } from './sequence-book.js';

/** kafkajs's coordinator type of a transaction coordinator (0 is a group's). */
const TRANSACTION = 1;
const GROUP = 0;

/** The slice of kafkajs's (internal) Broker the transactional calls use. */
export interface KafkajsTxnBroker {
  initProducerId(request: {
    transactionalId?: string;
    transactionTimeout: number;
  }): Promise<{ producerId: string; producerEpoch: number }>;
  addPartitionsToTxn(request: {
    transactionalId: string;
    producerId: string;
    producerEpoch: number;
    topics: Array<{ topic: string; partitions: number[] }>;
  }): Promise<unknown>;
  addOffsetsToTxn(request: {
    transactionalId: string;
    producerId: string;
    producerEpoch: number;
    groupId: string;
  }): Promise<unknown>;
  txnOffsetCommit(request: {
    transactionalId: string;
    groupId: string;
    producerId: string;
    producerEpoch: number;
    topics: Array<{
      topic: string;
      partitions: Array<{ partition: number; offset: string; metadata?: string | null }>;
    }>;
  }): Promise<unknown>;
  endTxn(request: {
    transactionalId: string;
    producerId: string;
    producerEpoch: number;
    transactionResult: boolean;
  }): Promise<unknown>;
}

/** FindCoordinator's request, as kafkajs takes it. */
interface FindCoordinatorRequest {
  groupId: string;
  coordinatorType: number;
}

/** The slice of kafkajs's (internal) Cluster that finds coordinators. */
export interface KafkajsTxnCluster {
  refreshMetadata(): Promise<void>;
  findGroupCoordinator(request: FindCoordinatorRequest): Promise<KafkajsTxnBroker>;
  /** Any connected broker, to ask FindCoordinator once more (see `find`). */
  findControllerBroker(): Promise<{
    findGroupCoordinator(request: FindCoordinatorRequest): Promise<unknown>;
  }>;
}

/** Settings of the coordinator calls. */
export interface CoordinatorSettings {
  readonly transactionalId: string;
  /** The broker aborts a transaction open longer than this [transaction.timeout.ms]. */
  readonly transactionTimeoutMs: number;
  /** How long one call keeps retrying [max.block.ms]. */
  readonly maxBlockMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

/** Answers after which the same call is tried again (after a backoff). */
const RETRY = new Set([
  'CONCURRENT_TRANSACTIONS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_LOAD_IN_PROGRESS',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);
/** Answers that mean the coordinator moved: find it again, then retry. */
const MOVED = new Set([
  'NOT_COORDINATOR',
  'NOT_COORDINATOR_FOR_GROUP',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
]);
/** Kafka's PRODUCER_FENCED (code 90), which kafkajs 2.2.4 does not name. */
const PRODUCER_FENCED_CODE = 90;

interface ErrorLike {
  name?: string;
  type?: string;
  code?: unknown;
  cause?: unknown;
}

/** Whether the broker's answer says a newer producer has the transactional id. */
export function isFenced(error: unknown): boolean {
  let e = error as ErrorLike | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as ErrorLike | undefined) {
    if (e instanceof TransactionFencedError) return true;
    if (e.type === 'INVALID_PRODUCER_EPOCH' || e.type === 'PRODUCER_FENCED') return true;
    if (e.code === PRODUCER_FENCED_CODE && e.name === 'KafkaJSProtocolError') return true;
  }
  return false;
}

/**
 * The transaction coordinator's calls of one transactional id, as Java's TransactionManager
 * makes them: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn (then TxnOffsetCommit to
 * the group's coordinator) and EndTxn, each sent to the coordinator kafkajs finds
 * (FindCoordinator with type 1) and retried with the module's backoff on
 * CONCURRENT_TRANSACTIONS, a coordinator that is loading or moved, and network errors, up to
 * `maxBlockMs`. A fenced answer becomes TransactionFencedError; anything else rejects with the
 * module's typed error.
 */
export class TransactionCoordinator {
  private coordinator?: Promise<KafkajsTxnBroker>;

  constructor(
    private readonly cluster: () => Promise<KafkajsTxnCluster>,
    private readonly settings: CoordinatorSettings,
    private readonly logger: Logger,
  ) {}

  /** A new producer id and epoch for the transactional id (fencing older producers of it). */
  async init(): Promise<ProducerIdentity> {
    const { transactionalId, transactionTimeoutMs } = this.settings;
    const { producerId, producerEpoch } = await this.call('InitProducerId', (broker) =>
      broker.initProducerId({ transactionalId, transactionTimeout: transactionTimeoutMs }),
    );
    return new ProducerIdentity(BigInt(producerId), producerEpoch);
  }

  /** Adds partitions to the open transaction (before their first batch). */
  async addPartitions(
    identity: ProducerIdentity,
    topics: Array<{ topic: string; partitions: number[] }>,
  ): Promise<void> {
    await this.call(
      'AddPartitionsToTxn',
      (broker) => broker.addPartitionsToTxn({ ...this.ids(identity), topics }),
      // kafkajs keeps no topic with a refusal: it can only be named when there is one
      { topic: topics.length === 1 ? topics[0].topic : '' },
    );
  }

  /** Adds a consumer group's offsets to the open transaction. */
  async sendOffsets(
    identity: ProducerIdentity,
    groupId: string,
    topics: readonly TopicOffsets[],
  ): Promise<void> {
    await this.call(
      'AddOffsetsToTxn',
      (broker) => broker.addOffsetsToTxn({ ...this.ids(identity), groupId }),
      { group: groupId },
    );
    const data = topics.map(({ topic, partitions }) => ({
      topic,
      partitions: partitions.map(({ partition, offset }) => ({
        partition,
        offset,
        metadata: null,
      })),
    }));
    await this.call(
      'TxnOffsetCommit',
      (broker) => broker.txnOffsetCommit({ ...this.ids(identity), groupId, topics: data }),
      { group: groupId, groupCoordinator: true },
    );
  }

  /** Commits or aborts the open transaction. */
  async end(identity: ProducerIdentity, commit: boolean): Promise<void> {
    await this.call('EndTxn', (broker) =>
      broker.endTxn({ ...this.ids(identity), transactionResult: commit }),
    );
  }

  private ids(identity: ProducerIdentity) {
    return {
      transactionalId: this.settings.transactionalId,
      producerId: String(identity.producerId),
      producerEpoch: identity.epoch,
    };
  }

  /**
   * One call to the transaction coordinator (or, with `groupCoordinator`, to the coordinator
   * of `group`), retried as the class comment says; `group` and `topic` name what a refusal
   * is about.
   */
  private async call<T>(
    name: string,
    request: (broker: KafkajsTxnBroker) => Promise<T>,
    about: { group?: string; groupCoordinator?: boolean; topic?: string } = {},
  ): Promise<T> {
    const { maxBlockMs, retryBackoffMs, retryBackoffMaxMs, transactionalId } = this.settings;
    const deadline = Date.now() + maxBlockMs;
    for (let attempt = 1; ; attempt++) {
      let moved = false;
      try {
        const broker = await (about.groupCoordinator && about.group !== undefined
          ? this.find(about.group, GROUP)
          : this.transactionCoordinator());
        return await request(broker);
      } catch (error) {
        if (isFenced(error)) throw new TransactionFencedError(transactionalId, error);
        const type = (error as ErrorLike).type ?? '';
        moved = MOVED.has(type) || !RETRY.has(type);
        const mapped = toProducerError(error, about.topic ?? '', {
          transactionalId,
          groupId: about.group,
        });
        const again = RETRY.has(type) || MOVED.has(type) || mapped.retriable;
        const wait = backoffMs(attempt, retryBackoffMs, retryBackoffMaxMs);
        if (!again || Date.now() + wait >= deadline) throw mapped;
        this.logger.debug(
          `${name} of ${transactionalId}: retrying in ${wait} ms (${type || String(error)})`,
        );
        if (moved) this.coordinator = undefined;
        await sleep(wait);
      }
    }
  }

  private transactionCoordinator(): Promise<KafkajsTxnBroker> {
    if (!this.coordinator) {
      const found = this.find(this.settings.transactionalId, TRANSACTION);
      this.coordinator = found;
      found.catch(() => {
        if (this.coordinator === found) this.coordinator = undefined;
      });
    }
    return this.coordinator;
  }

  private async find(groupId: string, coordinatorType: number): Promise<KafkajsTxnBroker> {
    const cluster = await this.cluster();
    try {
      return await cluster.findGroupCoordinator({ groupId, coordinatorType });
    } catch (error) {
      // kafkajs drops every broker's answer and says only that no coordinator was found; one
      // more FindCoordinator of our own makes a refusal (an ACL) the error, as Java reports it.
      if ((error as ErrorLike).name === 'KafkaJSGroupCoordinatorNotFound') {
        const broker = await cluster.findControllerBroker();
        await broker.findGroupCoordinator({ groupId, coordinatorType });
      }
      throw error;
    }
  }
}
