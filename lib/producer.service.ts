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
  /** @internal What OutboxService uses of this producer's outbox. */
  readonly outbox: OutboxSource;

  constructor(
    options: KafkaProducerModuleOptions,
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
    } = createProducer(options, name, transport));
  }

  /**
   * Loads the default codec, opens the outbox, and connects the default reliability's
   * producer unless `connect: 'lazy'`; rejects with ProducerNotConnectedError after the
   * connect retries (so the app's start fails).
   */
  onModuleInit(): Promise<void> {
    return this.engine.start();
  }

  /**
   * Stops accepting, sends what is batched and waits (up to `shutdownTimeoutMs`) for every
   * accepted record; fails what is still unsent with ProducerNotConnectedError (stored
   * instead in the outbox's fallback mode); disconnects, logging (not throwing) close errors.
   */
  onApplicationShutdown(): Promise<void> {
    return this.engine.close();
  }

  /**
   * Sends one event. Resolves with its DeliveryReport once it has the ack its reliability
   * asks for; rejects with a KafkaProducerError otherwise.
   */
  send(event: object, options?: SendOptions): Promise<DeliveryReport> {
    return this.engine.send(event, options);
  }

  /**
   * Sends several events; resolves with their reports in the order given. Every event is
   * checked first: if any is bad, the call rejects and none is sent.
   */
  sendMany(events: readonly object[], options?: SendOptions): Promise<DeliveryReport[]> {
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
