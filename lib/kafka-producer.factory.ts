import { Logger } from '@nestjs/common';
import { ProducerEngine } from './engine/producer-engine.js';
import type { SendObserver } from './observability/send-observer.js';
import { MetricsRecorder, outboxValues } from './observability/metrics-recorder.js';
import { loadOtelApi, OtelTracer, type OtelTracerOptions } from './observability/otel-tracer.js';
import { allOf, type SendTracer } from './observability/send-tracer.js';
import { OtelMeters, type OtelMetersOptions } from './observability/otel-meters.js';
import type { ProducerMetrics } from './interfaces/producer-metrics.interface.js';
import type { HealthCheckOptions, ProducerHealth } from './interfaces/producer-health.interface.js';
import { HealthTracker } from './observability/health-tracker.js';
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
import {
  KafkajsTransactionalTransport,
  type TransactionalSettings,
} from './transport/kafkajs/kafkajs-transactional-transport.js';
import { KafkajsTransport } from './transport/kafkajs/kafkajs-transport.js';
import type { Transport, TransactionalTransport } from './transport/transport.interface.js';

/** Makes a producer's transport from its resolved options (the testing kit's in-memory one). */
export type TransportFactory = ((options: ResolvedProducerOptions, logger: Logger) => Transport) & {
  /** The transport of one pooled transactional producer (default: the kafkajs one). */
  readonly transactional?: (
    settings: TransactionalSettings,
    logger: Logger,
  ) => TransactionalTransport;
};

const kafkajsTransport: TransportFactory = (options, logger) =>
  new KafkajsTransport(options, logger);
import { TransactionPool } from './transactions/transaction-pool.js';

/** A ProducerListener as the engine's observer. */
function listenerObserver(listener: ProducerListener): SendObserver {
  return {
    acked: (report) => listener.onSuccess?.(report),
    failed: (error, record) => listener.onError?.(error, record),
  };
}

/** One producer as the factory wires it. */
export interface WiredProducer {
  readonly engine: ProducerEngine;
  readonly outbox: OutboxSource;
  /** The metrics snapshot (Java's names), with the outbox's numbers when there is one. */
  readonly metrics: () => Promise<ProducerMetrics>;
  /** The producer's health, from its own state (see ProducerHealth). */
  readonly health: (options?: HealthCheckOptions) => Promise<ProducerHealth>;
  /** The transactional producers of `producer.transaction()` (empty without a prefix). */
  readonly transactions: TransactionPool;
}

/**
 * Wires one producer: its options, the kafkajs transport (or the one `transport` makes), the
 * engine, the `@Outboxed()` staging, the listeners, the metrics recorder and the health
 * tracker as observers, the tracer, the outbox (when configured) as an engine plug-in, and
 * the transaction pool: each pooled producer an engine of its own (reliability 'all',
 * records given up at the transaction timeout) over a transactional transport, seen by the
 * same observers and tracer.
 */
export function createProducer(
  options: KafkaProducerModuleOptions,
  name: string = DEFAULT_PRODUCER_NAME,
  transport: TransportFactory = kafkajsTransport,
): WiredProducer {
  const resolved = resolveOptions(options);
  const logger = new Logger(
    name === DEFAULT_PRODUCER_NAME ? LOGGER_CONTEXT : `${LOGGER_CONTEXT}:${name}`,
  );
  logger.debug(Messages.options(describeOptions(resolved)));
  const recorder = new MetricsRecorder();
  const observers: SendObserver[] = resolved.listeners.map(listenerObserver);
  if (resolved.metrics) observers.push(recorder);
  const tracker = new HealthTracker();
  observers.push(tracker);
  const clientId = resolved.client.clientId ?? '';
  const tracers: SendTracer[] = [];
  const otel = resolved.tracing || resolved.otelMetrics ? loadOtelApi() : undefined;
  if (otel && resolved.tracing) {
    tracers.push(
      new OtelTracer(otel, {
        ...(resolved.tracing as OtelTracerOptions),
        clientId: clientId || undefined,
      }),
    );
  }
  const meters = resolved.otelMetrics;
  const counting: SendObserver[] = [recorder, tracker];
  if (otel && meters && (meters.meterProvider || OtelMeters.globalProviderRecords(otel))) {
    const otelMeters = new OtelMeters(otel, {
      ...(resolved.otelMetrics as OtelMetersOptions),
      semconv: resolved.tracing ? resolved.tracing.semconv : undefined,
      clientId: clientId || undefined,
    });
    observers.push(otelMeters);
    counting.push(otelMeters);
  }
  const tracer = allOf(tracers);
  const engine = new ProducerEngine({
    options: resolved,
    logger,
    transport: transport(resolved, logger),
    staging: unitOfWorkStaging,
    observers,
    countingObservers: counting,
    tracer,
  });
  let outbox: OutboxSource = NO_OUTBOX;
  if (resolved.outbox) {
    const plugin = new OutboxPlugin(engine, resolved.outbox, logger);
    engine.use(plugin.hooks());
    outbox = plugin;
  }
  const metrics = async (): Promise<ProducerMetrics> => {
    const stats = await outbox.outboxStats();
    return {
      producer: name,
      clientId,
      metrics: recorder.values(engine.buffer()),
      topics: recorder.topicValues(),
      ...(stats ? { outbox: outboxValues(stats) } : {}),
    };
  };
  const health = async (check: HealthCheckOptions = {}): Promise<ProducerHealth> => {
    let connected = engine.connected();
    if (!connected && check.activeCheckTimeoutMs !== undefined && !engine.closed) {
      connected = await engine.probe(check.activeCheckTimeoutMs);
    }
    const buffer = engine.buffer();
    const stats = await outbox.outboxStats();
    return {
      connected,
      closed: engine.closed,
      lastAckAgoMs: tracker.lastAckAgoMs,
      bufferUse: (buffer.total - buffer.available) / buffer.total,
      waitingSends: buffer.waiting,
      consecutiveFailures: tracker.consecutiveFailures,
      fatal: tracker.fatal,
      ...(stats ? { outbox: { backlog: stats.backlog, oldestAgeMs: stats.oldestAgeMs ?? 0 } } : {}),
    };
  };
  const txLogger = new Logger(`${LOGGER_CONTEXT}:${name}:transactions`);
  const makeTransactional = transport.transactional;
  const txOptions = {
    ...resolved,
    reliability: 'all' as const,
    deliveryTimeoutMs: Math.min(resolved.deliveryTimeoutMs, resolved.transactionTimeoutMs),
    outbox: undefined,
  };
  const transactions = new TransactionPool(
    resolved,
    (transactionalId) => {
      const settings = {
        ...txOptions,
        transactionalId,
        transactionTimeoutMs: resolved.transactionTimeoutMs,
      };
      const transport = makeTransactional
        ? makeTransactional(settings, txLogger)
        : new KafkajsTransactionalTransport(settings, txLogger);
      // The same listeners, metrics, health tracker, meters and tracer as the producer's.
      const txEngine = new ProducerEngine({
        options: txOptions,
        logger: txLogger,
        transport,
        observers,
        countingObservers: counting,
        tracer,
      });
      return { engine: txEngine, transport };
    },
    txLogger,
    resolved.brokers,
  );
  return { engine, outbox, metrics, health, transactions };
}
