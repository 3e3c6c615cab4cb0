import { Module, type DynamicModule } from '@nestjs/common';
import type {
  KafkaProducerModuleAsyncOptions,
  KafkaProducerModuleExtras,
  KafkaProducerModuleOptions,
} from './interfaces/kafka-producer-options.interface.js';
import { KafkaProducerCoreModule } from './kafka-producer-core.module.js';

/**
 * The module Nest apps import. `forRoot(options)` / `forRootAsync({ imports, inject,
 * useFactory | useClass | useExisting })` register a producer: the default one (injected
 * as `ProducerService`) or, with `name`, one injected with `@InjectProducer(name)`.
 * `isGlobal: true` makes it injectable everywhere.
 */
@Module({})
export class KafkaProducerModule {
  static forRoot(options: KafkaProducerModuleOptions & KafkaProducerModuleExtras): DynamicModule {
    return {
      module: KafkaProducerModule,
      global: options.isGlobal ?? false,
      imports: [KafkaProducerCoreModule.forRoot(options)],
      exports: [KafkaProducerCoreModule],
    };
  }

  static forRootAsync(options: KafkaProducerModuleAsyncOptions): DynamicModule {
    return {
      module: KafkaProducerModule,
      global: options.isGlobal ?? false,
      imports: [KafkaProducerCoreModule.forRootAsync(options)],
      exports: [KafkaProducerCoreModule],
    };
  }
}
