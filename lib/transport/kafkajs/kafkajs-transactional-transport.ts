import type { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { KafkaProducerError } from '../../errors/kafka-producer.error.js';
import { SendFailedError } from '../../errors/send-failed.error.js';
import { TransactionFencedError } from '../../errors/transaction-fenced.error.js';
import { slotKey } from '../../record/slot-key.js';
import type {
  PartitionBatch,
  TopicOffsets,
  TransactionalTransport,
} from '../transport.interface.js';
import { connectWithRetries } from './connect.js';
import { toProducerError } from './error-mapper.js';
import { AuthorizationError } from '../../errors/authorization.error.js';
import { KafkajsTransport, type KafkajsTransportSettings } from './kafkajs-transport.js';
import type { ProducerIdentity } from './sequence-book.js';
import {
  isFenced,
  TransactionCoordinator,
  type KafkajsTxnCluster,
} from './transaction-coordinator.js';
import type { KafkajsCluster } from './topic-metadata.js';

/** What a transactional transport needs on top of the kafkajs transport's settings. */
export interface TransactionalSettings extends KafkajsTransportSettings {
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
}

/** Answers to a transactional batch after which the transaction cannot commit. */
const ABORTABLE = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID']);

/**
 * The kafkajs transport of one transactional id ({@link TransactionalTransport}): one
 * producer id and epoch from InitProducerId with the transactional id, every partition
 * added to the open transaction (AddPartitionsToTxn, once per partition and transaction,
 * shared by concurrent requests) before its first batch is sent, batches sealed with the
 * transactional bit and sent with the transactional id. Where the idempotent transport takes
 * a new producer id (a batch given up with an unknown outcome, a refused numbering), a
 * transaction cannot go on: the batch fails for good, the transaction aborts, and the next
 * {@link init} brings a new epoch with fresh sequence numbers.
 */
export class KafkajsTransactionalTransport
  extends KafkajsTransport
  implements TransactionalTransport
{
  protected override readonly transactional: string;
  private readonly coordinator: TransactionCoordinator;
  private current?: Promise<ProducerIdentity>;
  private fenced?: TransactionFencedError;
  private inTransaction = false;
  private offsetsAdded = false;
  /** The partitions added to the open transaction (or being added). */
  private added = new Map<string, Promise<void>>();

  constructor(
    private readonly txn: TransactionalSettings,
    logger: Logger,
    kafka?: Kafka,
    createCluster?: () => KafkajsCluster,
  ) {
    super(txn, logger, kafka, createCluster);
    this.transactional = txn.transactionalId;
    this.coordinator = new TransactionCoordinator(
      () => this.metadata.cluster() as unknown as Promise<KafkajsTxnCluster>,
      {
        transactionalId: txn.transactionalId,
        transactionTimeoutMs: txn.transactionTimeoutMs,
        maxBlockMs: txn.maxBlockMs,
        retryBackoffMs: txn.retryBackoffMs,
        retryBackoffMaxMs: txn.retryBackoffMaxMs,
      },
      logger,
    );
  }

  get transactionalId(): string {
    return this.transactional;
  }

  /** Every profile of a transactional transport shares its one transactional identity. */
  override connect(): Promise<void> {
    return this.open();
  }

  async open(): Promise<void> {
    if (this.current) {
      await this.current;
      return;
    }
    const { brokers, connectRetries, connectTimeoutMs } = this.txn;
    await connectWithRetries(
      async () => {
        await this.metadata.cluster();
        if (!this.current) await this.init();
      },
      { brokers, attempts: connectRetries, timeoutMs: connectTimeoutMs, label: this.transactional },
      this.logger,
    );
  }

  async init(): Promise<void> {
    if (this.fenced) throw this.fenced;
    this.inTransaction = false;
    this.added = new Map();
    this.offsetsAdded = false;
    const next = this.coordinator.init();
    this.current = next;
    try {
      await next;
    } catch (error) {
      if (this.current === next) this.current = undefined;
      throw this.fence(error);
    }
  }

  begin(): void {
    if (this.fenced) throw this.fenced;
    this.inTransaction = true;
    this.offsetsAdded = false;
    this.added = new Map();
  }

  async sendOffsets(groupId: string, topics: readonly TopicOffsets[]): Promise<void> {
    const identity = await this.identityNow();
    this.offsetsAdded = true;
    await this.coordinator.sendOffsets(identity, groupId, topics).catch((error: unknown) => {
      throw this.fence(error);
    });
  }

  async end(commit: boolean): Promise<void> {
    const identity = await this.identityNow();
    const any = this.offsetsAdded || this.added.size > 0;
    this.inTransaction = false;
    this.added = new Map();
    this.offsetsAdded = false;
    if (!any) return; // nothing joined the transaction: the broker has none open
    await this.coordinator.end(identity, commit).catch((error: unknown) => {
      throw this.fence(error);
    });
  }

  protected override async identity(batches: readonly PartitionBatch[]): Promise<ProducerIdentity> {
    const identity = await this.identityNow();
    if (!this.inTransaction) {
      throw new SendFailedError(batches[0].topic, false, undefined, 'no transaction is open');
    }
    const doubt = batches.find(({ topic, partition, batch }) =>
      this.book.needsNewIdentity(batch, slotKey(topic, partition), identity),
    );
    if (doubt) {
      const reason = `a batch of partition ${doubt.partition} has an unknown outcome: the transaction must abort`;
      throw new SendFailedError(doubt.topic, false, undefined, reason);
    }
    await this.addPartitions(identity, batches);
    return identity;
  }

  protected override refusal(error: Error & { type?: string }, topic: string): KafkaProducerError {
    if (isFenced(error)) return this.fence(error);
    if (ABORTABLE.has(error.type ?? '')) {
      return new SendFailedError(topic, false, error.type, error.message, error);
    }
    return super.refusal(error, topic);
  }

  /** Adds the partitions of `batches` not in the open transaction yet, in one request. */
  private async addPartitions(
    identity: ProducerIdentity,
    batches: readonly PartitionBatch[],
  ): Promise<void> {
    const waits: Promise<void>[] = [];
    const fresh = new Map<string, number[]>();
    for (const { topic, partition } of batches) {
      const slot = slotKey(topic, partition);
      const known = this.added.get(slot);
      if (known) {
        waits.push(known);
        continue;
      }
      let list = fresh.get(topic);
      if (!list) fresh.set(topic, (list = []));
      if (!list.includes(partition)) list.push(partition);
    }
    if (fresh.size > 0) {
      const topics = [...fresh].map(([topic, partitions]) => ({ topic, partitions }));
      const adding = this.addTopics(identity, topics).catch((error: unknown) => {
        throw this.fence(error);
      });
      for (const { topic, partitions } of topics) {
        for (const p of partitions) this.added.set(slotKey(topic, p), adding);
      }
      waits.push(adding);
    }
    await Promise.all(waits);
  }

  /**
   * AddPartitionsToTxn. kafkajs keeps no topic with a refusal, so when a request of several
   * topics is refused, each topic is asked alone to name the one the principal may not write
   * (the transaction aborts either way).
   */
  private async addTopics(
    identity: ProducerIdentity,
    topics: Array<{ topic: string; partitions: number[] }>,
  ): Promise<void> {
    try {
      await this.coordinator.addPartitions(identity, topics);
    } catch (error) {
      if (topics.length > 1 && error instanceof AuthorizationError && !error.resourceName) {
        for (const one of topics) await this.coordinator.addPartitions(identity, [one]);
      }
      throw error;
    }
  }

  private async identityNow(): Promise<ProducerIdentity> {
    if (this.fenced) throw this.fenced;
    if (!this.current) await this.init();
    return this.current!;
  }

  /** A fenced answer fences this transport for good; any other error is returned as it is. */
  private fence(error: unknown): KafkaProducerError {
    if (error instanceof TransactionFencedError || isFenced(error)) {
      this.fenced ??=
        error instanceof TransactionFencedError
          ? error
          : new TransactionFencedError(this.transactional, error);
      return this.fenced;
    }
    return toProducerError(error, '');
  }
}
