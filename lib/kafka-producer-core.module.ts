import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type {
  KafkaProducerModuleAsyncOptions,
  KafkaProducerModuleExtras,
  KafkaProducerModuleOptions,
  KafkaProducerOptionsFactory,
} from './interfaces/kafka-producer-options.interface.js';
import { ConfigurationError } from './errors/configuration.error.js';
import { DEFAULT_PRODUCER_NAME } from './kafka-producer.constants.js';
import type { TransportFactory } from './kafka-producer.factory.js';
import { Messages } from './kafka-producer.messages.js';
import {
  getOutboxToken,
  getProducerOptionsToken,
  getProducerToken,
} from './kafka-producer.utils.js';
import { OutboxService } from './outbox/outbox.service.js';
import { ProducerService } from './producer.service.js';

/** @internal The outbox service of producer `name`. */
export function outboxProvider(name?: string): Provider {
  return {
    provide: getOutboxToken(name),
    useFactory: (producer: ProducerService) => new OutboxService(producer.outbox),
    inject: [getProducerToken(name)],
  };
}

/** @internal The producer of `name`, over `transport` (kafkajs unless the testing kit's). */
export function producerProvider(name?: string, transport?: TransportFactory): Provider {
  return {
    provide: getProducerToken(name),
    useFactory: (options: KafkaProducerModuleOptions) =>
      new ProducerService(options, name ?? DEFAULT_PRODUCER_NAME, transport),
    inject: [getProducerOptionsToken(name)],
  };
}

/**
 * @internal The `clientProxy` option: a KafkaProducerClientProxy over the producer, loaded
 * only when asked for (its module needs the optional @nestjs/microservices).
 */
export function clientProxyProviders(extras: KafkaProducerModuleExtras): Provider[] {
  const token = extras.clientProxy;
  if (token === undefined) return [];
  return [
    {
      provide: token,
      useFactory: async (producer: ProducerService) => {
        let loaded: typeof import('./kafka-producer-client-proxy.js');
        try {
          loaded = await import('./kafka-producer-client-proxy.js');
        } catch (error) {
          throw new ConfigurationError(Messages.clientProxyNeedsMicroservices(String(error)));
        }
        return new loaded.KafkaProducerClientProxy(producer);
      },
      inject: [getProducerToken(extras.name)],
    },
  ];
}

/** @internal What a `forRoot` exports: the producer, its outbox, and the client proxy if any. */
export function exportedTokens(
  extras: KafkaProducerModuleExtras,
): Array<string | symbol | Function> {
  const tokens: Array<string | symbol | Function> = [
    getProducerToken(extras.name),
    getOutboxToken(extras.name),
  ];
  if (extras.clientProxy !== undefined) tokens.push(extras.clientProxy);
  return tokens;
}

function asyncOptionsProviders(options: KafkaProducerModuleAsyncOptions): Provider[] {
  const provide = getProducerOptionsToken(options.name);
  if (options.useFactory) {
    return [{ provide, useFactory: options.useFactory, inject: options.inject ?? [] }];
  }
  const factoryClass = options.useClass ?? options.useExisting;
  if (!factoryClass) {
    throw new Error('forRootAsync() needs one of useFactory, useClass or useExisting');
  }
  const fromFactory: Provider = {
    provide,
    useFactory: (factory: KafkaProducerOptionsFactory) => factory.createKafkaProducerOptions(),
    inject: [factoryClass],
  };
  return options.useClass
    ? [fromFactory, { provide: factoryClass, useClass: factoryClass }]
    : [fromFactory];
}

/** Owns the producer of one `forRoot` / `forRootAsync`; imported through KafkaProducerModule. */
@Module({})
export class KafkaProducerCoreModule {
  static forRoot(options: KafkaProducerModuleOptions & KafkaProducerModuleExtras): DynamicModule {
    return {
      module: KafkaProducerCoreModule,
      global: options.isGlobal ?? false,
      providers: [
        { provide: getProducerOptionsToken(options.name), useValue: options },
        producerProvider(options.name),
        outboxProvider(options.name),
        ...clientProxyProviders(options),
      ],
      exports: exportedTokens(options),
    };
  }

  static forRootAsync(options: KafkaProducerModuleAsyncOptions): DynamicModule {
    return {
      module: KafkaProducerCoreModule,
      global: options.isGlobal ?? false,
      imports: options.imports ?? [],
      providers: [
        ...asyncOptionsProviders(options),
        producerProvider(options.name),
        outboxProvider(options.name),
        ...clientProxyProviders(options),
      ],
      exports: exportedTokens(options),
    };
  }
}
