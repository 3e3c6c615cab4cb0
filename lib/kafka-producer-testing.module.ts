import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type {
  KafkaProducerModuleExtras,
  KafkaProducerModuleOptions,
} from './interfaces/kafka-producer-options.interface.js';
import {
  clientProxyProviders,
  exportedTokens,
  outboxProvider,
  producerProvider,
} from './kafka-producer-core.module.js';
import type { TransportFactory } from './kafka-producer.factory.js';
import { getProducerOptionsToken } from './kafka-producer.utils.js';
import type { ResolvedProducerOptions } from './kafka-producer.options.js';
import { InMemoryTransactionalTransport } from './testing/in-memory-transactional-transport.js';
import { InMemoryTransport } from './testing/in-memory-transport.js';
import type { TransactionalSettings } from './transport/kafkajs/kafkajs-transactional-transport.js';
import { ProducerRecorder, type RecorderOptions } from './testing/producer-recorder.js';

/** Options of `KafkaProducerTestingModule.forRoot()`: the module's, all optional, plus the in-memory broker's. */
export interface KafkaProducerTestingOptions
  extends Partial<KafkaProducerModuleOptions>, KafkaProducerModuleExtras, RecorderOptions {}

/** The token of the {@link ProducerRecorder} of producer `name` (the default one: the class itself). */
export function getRecorderToken(name?: string): string | typeof ProducerRecorder {
  return name ? `ProducerRecorder:${name}` : ProducerRecorder;
}

/** The options the producer is built with: `client` defaults to an address nothing dials. */
function producerOptions(options: KafkaProducerTestingOptions): KafkaProducerModuleOptions {
  const rest: Partial<KafkaProducerTestingOptions> = { ...options };
  delete rest.autoComplete;
  delete rest.partitions;
  delete rest.defaultPartitions;
  return {
    ...rest,
    client: options.client ?? { clientId: 'testing', brokers: ['in-memory:9092'] },
  };
}

/**
 * `KafkaProducerModule` with an in-memory broker in place of Kafka, for unit tests. The
 * producer is the same: validation, keys, serializers, the partitioner, the accumulator and
 * the sender run as in production, so a DTO that fails there fails here with the same typed
 * error. What reaches the in-memory broker is in the {@link ProducerRecorder}: inject it
 * (`ProducerRecorder` for the default producer, `getRecorderToken(name)` for a named one).
 */
@Module({})
export class KafkaProducerTestingModule {
  /**
   * Registers a producer over an in-memory broker. Every module option may be given (all
   * optional: `client` is never dialled), plus `autoComplete` (default `true`),
   * `partitions` (per topic) and `defaultPartitions` (default 1); `name`, `isGlobal` and
   * `clientProxy` as in `KafkaProducerModule.forRoot`.
   */
  static forRoot(options: KafkaProducerTestingOptions = {}): DynamicModule {
    const recorder = new ProducerRecorder(options);
    const transport: TransportFactory = Object.assign(
      (resolved: ResolvedProducerOptions) =>
        new InMemoryTransport(recorder, resolved.maxInFlightRequests),
      {
        transactional: (settings: TransactionalSettings) =>
          new InMemoryTransactionalTransport(
            recorder,
            settings.maxInFlightRequests,
            settings.transactionalId,
          ),
      },
    );
    const providers: Provider[] = [
      { provide: getProducerOptionsToken(options.name), useValue: producerOptions(options) },
      { provide: getRecorderToken(options.name), useValue: recorder },
      producerProvider(options.name, transport),
      outboxProvider(options.name),
      ...clientProxyProviders(options),
    ];
    return {
      module: KafkaProducerTestingModule,
      global: options.isGlobal ?? false,
      providers,
      exports: [...exportedTokens(options), getRecorderToken(options.name)],
    };
  }
}
