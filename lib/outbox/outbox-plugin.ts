import type { Logger } from '@nestjs/common';
import type { EngineAccess, EngineHooks } from '../engine/engine-hooks.js';
import { pendingReport } from '../engine/producer-engine.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { Messages } from '../kafka-producer.messages.js';
import { OutboxFallback } from './outbox-fallback.js';
import type { OutboxOptions } from '../interfaces/outbox-options.interface.js';
import { fromOutboxRow, toOutboxRecord } from './outbox-record.mapper.js';
import { OutboxRelay, resolveRelayOptions } from './outbox-relay.js';
import type { OutboxRecord, OutboxStats, OutboxStore } from './stores/outbox-store.interface.js';

/** What OutboxService needs of a producer's outbox. */
export interface OutboxSource {
  /** Checks and serializes events for the store; each gets its event id now. */
  recordsForOutbox(
    events: readonly object[],
  ): Promise<{ store: OutboxStore; records: OutboxRecord[]; wake: () => void }>;
  /** Backlog, oldest waiting row's age and dead rows; undefined without an outbox. */
  outboxStats(): Promise<OutboxStats> | undefined;
}

/**
 * A producer's outbox, plugged into its engine: the store's lifecycle, the relay (which
 * publishes stored rows through the engine), and in fallback mode the delivery route that
 * stores what Kafka did not take (see OutboxFallback).
 */
export class OutboxPlugin implements OutboxSource {
  private readonly store: OutboxStore;
  private readonly relay: OutboxRelay;
  private readonly fallback?: OutboxFallback;

  constructor(
    private readonly engine: EngineAccess,
    options: OutboxOptions,
    private readonly logger: Logger,
  ) {
    this.store = options.store;
    if (options.fallback !== false) {
      this.fallback = new OutboxFallback(
        this.store,
        logger,
        () => this.relay.wake(),
        pendingReport,
        (topic, partition, error) => engine.failQueued(topic, partition, error),
      );
    }
    this.relay = new OutboxRelay(
      this.store,
      (row) => engine.publish(fromOutboxRow(row)),
      resolveRelayOptions(options.relay),
      logger,
      (row) => this.fallback?.finished(row),
    );
  }

  /** The engine's hooks for this outbox. */
  hooks(): EngineHooks {
    return {
      init: async () => {
        await this.store.init();
        await this.fallback?.init();
        if (!this.store.durable) this.logger.warn('the outbox store is not durable (memory)');
      },
      started: () => {
        if (this.relay.options.enabled) this.relay.start();
      },
      stopping: () => this.relay.stop(),
      closed: () => this.store.close(),
      route: this.fallback,
    };
  }

  async recordsForOutbox(
    events: readonly object[],
  ): Promise<{ store: OutboxStore; records: OutboxRecord[]; wake: () => void }> {
    const records = (await this.engine.prepareAll(events)).map(toOutboxRecord);
    return { store: this.store, records, wake: () => this.relay.wake() };
  }

  outboxStats(): Promise<OutboxStats> {
    return this.relay.stats();
  }
}

/** The OutboxSource of a producer without an outbox: enqueue fails with ConfigurationError. */
export const NO_OUTBOX: OutboxSource = {
  recordsForOutbox: () => Promise.reject(new ConfigurationError(Messages.noOutbox)),
  outboxStats: () => undefined,
};
