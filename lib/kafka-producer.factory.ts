import { Logger } from '@nestjs/common';
import { ProducerEngine } from './engine/producer-engine.js';
import type { SendObserver } from './observability/send-observer.js';
import type { KafkaProducerModuleOptions } from './interfaces/kafka-producer-options.interface.js';
import type { ProducerListener } from './interfaces/producer-listener.interface.js';
import { DEFAULT_PRODUCER_NAME, LOGGER_CONTEXT } from './kafka-producer.constants.js';
import { Messages } from './kafka-producer.messages.js';
import { describeOptions, resolveOptions } from './kafka-producer.options.js';
import { NO_OUTBOX, OutboxPlugin, type OutboxSource } from './outbox/outbox-plugin.js';
import { unitOfWorkStaging } from './outbox/unit-of-work.js';
import { KafkajsTransactionalTransport } from './transport/kafkajs/kafkajs-transactional-transport.js';
import { KafkajsTransport } from './transport/kafkajs/kafkajs-transport.js';
import { TransactionPool } from './transactions/transaction-pool.js';

/** A ProducerListener as the engine's observer. */
function listenerObserver(listener: ProducerListener): SendObserver {
  return {
    acked: (report) => listener.onSuccess?.(report),
    failed: (error, record) => listener.onError?.(error, record),
  };
}

/**
 * Wires one producer: its options, the kafkajs transport, the engine, the `@Outboxed()`
 * staging, the listeners as observers, the outbox (when configured) as an engine plug-in,
 * and the transaction pool: each pooled producer an engine of its own (reliability 'all',
 * records given up at the transaction timeout) over a transactional transport.
 */
export function createProducer(
  options: KafkaProducerModuleOptions,
  name: string = DEFAULT_PRODUCER_NAME,
): { engine: ProducerEngine; outbox: OutboxSource; transactions: TransactionPool } {
  const resolved = resolveOptions(options);
  const logger = new Logger(
    name === DEFAULT_PRODUCER_NAME ? LOGGER_CONTEXT : `${LOGGER_CONTEXT}:${name}`,
  );
  logger.debug(Messages.options(describeOptions(resolved)));
  const engine = new ProducerEngine({
    options: resolved,
    logger,
    transport: new KafkajsTransport(resolved, logger),
    staging: unitOfWorkStaging,
    observers: resolved.listeners.map(listenerObserver),
  });
  const txLogger = new Logger(`${LOGGER_CONTEXT}:${name}:transactions`);
  const txOptions = {
    ...resolved,
    reliability: 'all' as const,
    deliveryTimeoutMs: Math.min(resolved.deliveryTimeoutMs, resolved.transactionTimeoutMs),
    outbox: undefined,
  };
  const transactions = new TransactionPool(
    resolved,
    (transactionalId) => {
      const transport = new KafkajsTransactionalTransport(
        { ...txOptions, transactionalId, transactionTimeoutMs: resolved.transactionTimeoutMs },
        txLogger,
      );
      const txEngine = new ProducerEngine({
        options: txOptions,
        logger: txLogger,
        transport,
        observers: resolved.listeners.map(listenerObserver),
      });
      return { engine: txEngine, transport };
    },
    txLogger,
    resolved.brokers,
  );
  if (!resolved.outbox) return { engine, outbox: NO_OUTBOX, transactions };
  const outbox = new OutboxPlugin(engine, resolved.outbox, logger);
  engine.use(outbox.hooks());
  return { engine, outbox, transactions };
}
