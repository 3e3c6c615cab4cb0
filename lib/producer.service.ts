import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ProducerEngine } from './engine/producer-engine.js';
import type { DeliveryReport } from './interfaces/delivery-report.interface.js';
import type { KafkaProducerModuleOptions } from './interfaces/kafka-producer-options.interface.js';
import type {
  RawRecord,
  RawSendOptions,
  SendOptions,
} from './interfaces/send-options.interface.js';
import { createProducer, type TransportFactory } from './kafka-producer.factory.js';
import { DEFAULT_PRODUCER_NAME } from './kafka-producer.constants.js';
import type { OutboxSource } from './outbox/outbox-plugin.js';
import type { OutboxStats } from './outbox/stores/outbox-store.interface.js';
import type { ProducerMetrics } from './interfaces/producer-metrics.interface.js';
import type { HealthCheckOptions, ProducerHealth } from './interfaces/producer-health.interface.js';
import type { KafkaTransaction } from './interfaces/transaction.interface.js';
import type { TransactionPool } from './transactions/transaction-pool.js';
import { currentScope } from './transactions/transactional-scope.js';
import { TransactionUsageError } from './errors/transaction-usage.error.js';
import { Messages } from './kafka-producer.messages.js';

/**
 * Sends decorated event DTOs to Kafka. Inject the default producer as `ProducerService`,
 * a named one with `@InjectProducer(name)`.
 *
 * Each call validates, derives the key, serializes, partitions (murmur2 for keyed records
 * as Java does, sticky for keyless ones) and resolves once the record has the ack its
 * reliability asks for. Bad input rejects with a typed error before anything is sent.
 * The work is done by the producer's engine (lib/engine); this class is its Nest face.
 */
export class ProducerService implements OnModuleInit, OnApplicationShutdown {
  private readonly engine: ProducerEngine;
  private readonly readMetrics: () => Promise<ProducerMetrics>;
  private readonly readHealth: (options?: HealthCheckOptions) => Promise<ProducerHealth>;
  private readonly transactions: TransactionPool;
  /** @internal What OutboxService uses of this producer's outbox. */
  readonly outbox: OutboxSource;

  constructor(
    private readonly options: KafkaProducerModuleOptions,
    /** The producer's name (`'default'` for the one injected as `ProducerService`). */
    readonly name: string = DEFAULT_PRODUCER_NAME,
    /** @internal The transport in place of kafkajs's (the testing kit's). Default kafkajs. */
    transport?: TransportFactory,
  ) {
    ({
      engine: this.engine,
      outbox: this.outbox,
      metrics: this.readMetrics,
      health: this.readHealth,
      transactions: this.transactions,
    } = createProducer(options, name, transport));
  }

  /**
   * Loads the default codec, opens the outbox, and connects the default reliability's
   * producer unless `connect: 'lazy'`; rejects with ProducerNotConnectedError after the
   * connect retries (so the app's start fails). With `transactionalIdPrefix` (and eager
   * connect), the transactional producers take their transactional ids too, fencing those of
   * an older instance with the same prefix.
   */
  async onModuleInit(): Promise<void> {
    await this.engine.start();
    if (this.options.connect !== 'lazy') await this.transactions.open();
  }

  /**
   * Stops accepting, sends what is batched and waits (up to `shutdownTimeoutMs`) for every
   * accepted record; fails what is still unsent with ProducerNotConnectedError (stored
   * instead in the outbox's fallback mode); disconnects, logging (not throwing) close errors.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.transactions.close();
    await this.engine.close();
  }

  /**
   * Sends one event. Resolves with its DeliveryReport once it has the ack its reliability
   * asks for; rejects with a KafkaProducerError otherwise. Inside a `@KafkaTransactional()`
   * method of this producer, it joins the method's transaction.
   */
  send(event: object, options?: SendOptions): Promise<DeliveryReport> {
    const scope = currentScope(this.name);
    if (scope) return scope.join(this.transactions).then((tx) => tx.send(event, options));
    return this.engine.send(event, options);
  }

  /**
   * Sends several events; resolves with their reports in the order given. Every event is
   * checked first: if any is bad, the call rejects and none is sent. Inside a
   * `@KafkaTransactional()` method of this producer, it joins the method's transaction.
   */
  sendMany(events: readonly object[], options?: SendOptions): Promise<DeliveryReport[]> {
    const scope = currentScope(this.name);
    if (scope) return scope.join(this.transactions).then((tx) => tx.sendMany(events, options));
    return this.engine.sendMany(events, options);
  }

  /**
   * The untyped escape hatch: sends records as they are (strings as UTF-8, Buffers as they
   * are) with the module's default reliability unless told otherwise. Each record gets an
   * `x-event-id` header unless it has one.
   */
  sendRaw(
    topic: string,
    records: readonly RawRecord[],
    options?: RawSendOptions,
  ): Promise<DeliveryReport[]> {
    return this.engine.sendRaw(topic, records, options);
  }

  /**
   * Runs `callback` as one Kafka transaction and resolves with its value: every
   * `tx.send`/`tx.sendMany` (same decorators, validation, keys, serializers and partitioner
   * as `send`, reliability 'all') and `tx.sendOffsets` inside it commits together once the
   * callback resolves and every record is acked, or not at all. When the callback throws,
   * the transaction aborts and the error is rethrown; when a record fails, the commit fails
   * or `transactionTimeoutMs` (default 60000) passes, it aborts and rejects with
   * TransactionAbortedError (`cause`: why). A newer producer with the same transactional id
   * makes it reject with TransactionFencedError. Needs `transactionalIdPrefix`; up to
   * `transactionalProducers` (default 3) transactions run at once. Nested calls reject with
   * TransactionUsageError, as does a call inside a `@KafkaTransactional()` method of this
   * producer.
   */
  transaction<T>(callback: (tx: KafkaTransaction) => Promise<T>): Promise<T> {
    if (currentScope(this.name)) {
      return Promise.reject(new TransactionUsageError('nested', Messages.transactionNested));
    }
    return this.transactions.transaction(callback);
  }

  /** Resolves once every record accepted so far is acked or has failed. */
  flush(): Promise<void> {
    return this.engine.flush();
  }

  /** The outbox's backlog, oldest waiting row's age and dead rows; undefined without an outbox. */
  outboxStats(): Promise<OutboxStats> | undefined {
    return this.outbox.outboxStats();
  }

  /**
   * A snapshot of the Java producer's metrics under Java's names (`record-send-total`,
   * `request-latency-avg`, `buffer-available-bytes`, ...), per producer and per topic, and
   * the outbox's backlog, oldest row's age and dead rows when there is an outbox.
   */
  metrics(): Promise<ProducerMetrics> {
    return this.readMetrics();
  }

  /**
   * The producer's health from its own state (connected, last ack, buffer use, waiting
   * sends, consecutive failures, a fatal failure, the outbox's backlog): no new connection,
   * unless `activeCheckTimeoutMs` asks for a metadata fetch while it is not connected.
   * `KafkaProducerHealthIndicator` (`nestjs-kafka-producer/health`) reads it for terminus.
   */
  health(options?: HealthCheckOptions): Promise<ProducerHealth> {
    return this.readHealth(options);
  }
}
