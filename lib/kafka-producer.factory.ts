import { Logger } from '@nestjs/common';
import { ProducerEngine } from './engine/producer-engine.js';
import type { SendObserver } from './observability/send-observer.js';
import type { KafkaProducerModuleOptions } from './interfaces/kafka-producer-options.interface.js';
import type { ProducerListener } from './interfaces/producer-listener.interface.js';
import { DEFAULT_PRODUCER_NAME, LOGGER_CONTEXT } from './kafka-producer.constants.js';
import { Messages } from './kafka-producer.messages.js';
import {
  describeOptions,
  resolveOptions,
  type ResolvedProducerOptions,
} from './kafka-producer.options.js';
import { NO_OUTBOX, OutboxPlugin, type OutboxSource } from './outbox/outbox-plugin.js';
import { unitOfWorkStaging } from './outbox/unit-of-work.js';
import { KafkajsTransport } from './transport/kafkajs/kafkajs-transport.js';
import type { Transport } from './transport/transport.interface.js';

/** Makes a producer's transport from its resolved options (the testing kit's in-memory one). */
export type TransportFactory = (options: ResolvedProducerOptions, logger: Logger) => Transport;

const kafkajsTransport: TransportFactory = (options, logger) =>
  new KafkajsTransport(options, logger);

/** A ProducerListener as the engine's observer. */
function listenerObserver(listener: ProducerListener): SendObserver {
  return {
    acked: (report) => listener.onSuccess?.(report),
    failed: (error, record) => listener.onError?.(error, record),
  };
}

/**
 * Wires one producer: its options, the kafkajs transport (or the one `transport` makes), the engine, the `@Outboxed()`
 * staging, the listeners as observers, and the outbox (when configured) as an engine plug-in.
 */
export function createProducer(
  options: KafkaProducerModuleOptions,
  name: string = DEFAULT_PRODUCER_NAME,
  transport: TransportFactory = kafkajsTransport,
): { engine: ProducerEngine; outbox: OutboxSource } {
  const resolved = resolveOptions(options);
  const logger = new Logger(
    name === DEFAULT_PRODUCER_NAME ? LOGGER_CONTEXT : `${LOGGER_CONTEXT}:${name}`,
  );
  logger.debug(Messages.options(describeOptions(resolved)));
  const engine = new ProducerEngine({
    options: resolved,
    logger,
    transport: transport(resolved, logger),
    staging: unitOfWorkStaging,
    observers: resolved.listeners.map(listenerObserver),
  });
  if (!resolved.outbox) return { engine, outbox: NO_OUTBOX };
  const outbox = new OutboxPlugin(engine, resolved.outbox, logger);
  engine.use(outbox.hooks());
  return { engine, outbox };
}
