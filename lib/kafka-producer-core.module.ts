import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import type {
  KafkaProducerModuleAsyncOptions,
  KafkaProducerModuleExtras,
  KafkaProducerModuleOptions,
  KafkaProducerOptionsFactory,
} from './interfaces/kafka-producer-options.interface.js';
import { DEFAULT_PRODUCER_NAME } from './kafka-producer.constants.js';
import {
  getOutboxToken,
  getProducerOptionsToken,
  getProducerToken,
} from './kafka-producer.utils.js';
import { OutboxService } from './outbox/outbox.service.js';
import { ProducerService } from './producer.service.js';

function outboxProvider(name?: string): Provider {
  return {
    provide: getOutboxToken(name),
    useFactory: (producer: ProducerService) => new OutboxService(producer.outbox),
    inject: [getProducerToken(name)],
  };
}

function producerProvider(name?: string): Provider {
  return {
    provide: getProducerToken(name),
    useFactory: (options: KafkaProducerModuleOptions) =>
      new ProducerService(options, name ?? DEFAULT_PRODUCER_NAME),
    inject: [getProducerOptionsToken(name)],
  };
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
    const token = getProducerToken(options.name);
    return {
      module: KafkaProducerCoreModule,
      global: options.isGlobal ?? false,
      providers: [
        { provide: getProducerOptionsToken(options.name), useValue: options },
        producerProvider(options.name),
        outboxProvider(options.name),
      ],
      exports: [token, getOutboxToken(options.name)],
    };
  }

  static forRootAsync(options: KafkaProducerModuleAsyncOptions): DynamicModule {
    const token = getProducerToken(options.name);
    return {
      module: KafkaProducerCoreModule,
      global: options.isGlobal ?? false,
      imports: options.imports ?? [],
      providers: [
        ...asyncOptionsProviders(options),
        producerProvider(options.name),
        outboxProvider(options.name),
      ],
      exports: [token, getOutboxToken(options.name)],
    };
  }
}
