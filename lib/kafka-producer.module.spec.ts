import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InjectProducer } from './kafka-producer.decorators.js';
import type {
  KafkaProducerModuleOptions,
  KafkaProducerOptionsFactory,
} from './interfaces/kafka-producer-options.interface.js';
import { KafkaProducerModule } from './kafka-producer.module.js';
import { getProducerToken } from './kafka-producer.utils.js';
import { ProducerService } from './producer.service.js';

// Lazy connect: these tests wire the module up without a broker.
const options = (clientId: string): KafkaProducerModuleOptions => ({
  client: { brokers: ['127.0.0.1:1'], clientId },
  connect: 'lazy',
});

@Injectable()
class Consumer {
  constructor(
    readonly producer: ProducerService,
    @InjectProducer('audit') readonly audit: ProducerService,
  ) {}
}

@Injectable()
class OptionsFactory implements KafkaProducerOptionsFactory {
  createKafkaProducerOptions() {
    return options('from-class');
  }
}

@Module({ providers: [{ provide: 'CLIENT_ID', useValue: 'from-config' }], exports: ['CLIENT_ID'] })
class ConfigModule {}

describe('KafkaProducerModule', () => {
  it('forRoot registers the default producer as ProducerService and named ones by token', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot(options('default')),
        KafkaProducerModule.forRoot({ ...options('audit'), name: 'audit' }),
      ],
      providers: [Consumer],
    }).compile();
    const consumer = moduleRef.get(Consumer);
    expect(consumer.producer).toBeInstanceOf(ProducerService);
    expect(consumer.producer.name).toBe('default');
    expect(consumer.audit.name).toBe('audit');
    expect(consumer.audit).not.toBe(consumer.producer);
    expect(moduleRef.get(getProducerToken('audit'))).toBe(consumer.audit);
    await moduleRef.close();
  });

  it('forRootAsync takes useFactory with imports and inject', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRootAsync({
          imports: [ConfigModule],
          inject: ['CLIENT_ID'],
          useFactory: (clientId: string) => options(clientId),
        }),
      ],
    }).compile();
    expect(moduleRef.get(ProducerService)).toBeInstanceOf(ProducerService);
    await moduleRef.close();
  });

  it('forRootAsync takes useClass and useExisting', async () => {
    const byClass = await Test.createTestingModule({
      imports: [KafkaProducerModule.forRootAsync({ useClass: OptionsFactory, name: 'a' })],
    }).compile();
    expect(byClass.get(getProducerToken('a'))).toBeInstanceOf(ProducerService);
    await byClass.close();

    @Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
    class FactoryModule {}
    const byExisting = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRootAsync({ imports: [FactoryModule], useExisting: OptionsFactory }),
      ],
    }).compile();
    expect(byExisting.get(ProducerService)).toBeInstanceOf(ProducerService);
    await byExisting.close();
  });

  it('isGlobal makes the producer injectable in modules that do not import it', async () => {
    @Injectable()
    class Deep {
      constructor(readonly producer: ProducerService) {}
    }
    @Module({ providers: [Deep] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [KafkaProducerModule.forRoot({ ...options('g'), isGlobal: true }), FeatureModule],
    }).compile();
    expect(moduleRef.get(Deep).producer).toBeInstanceOf(ProducerService);
    await moduleRef.close();
  });

  it('eager connect fails bootstrap with an error naming the brokers tried', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaProducerModule.forRoot({
          client: { brokers: ['127.0.0.1:1'], clientId: 'eager', retry: { retries: 0 } },
          connectRetries: 2,
          connectTimeoutMs: 2000,
        }),
      ],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(
      /not connected \(brokers tried: 127\.0\.0\.1:1\)/,
    );
    await moduleRef.close();
  });
});
