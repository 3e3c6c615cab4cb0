import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsInt, IsString } from 'class-validator';
import { logLevel } from 'kafkajs';
import {
  KafkaEvent,
  KafkaProducerModule,
  KeyedBy,
  ProducerService,
  type KafkaProducerModuleOptions,
  type ProducerSettings,
} from '../../lib/index.js';
import { prepareCodec } from '../support/codecs.js';
import { PayloadFactory, type BenchFields } from '../support/payload.js';
import type { CellSpec, ModuleTuning } from '../support/types.js';
import { CLIENT_ID, SkipCell, type Driver } from './driver.js';

/** The DTO every module cell sends: validated like a user's event would be. */
export class BenchEventBase implements BenchFields {
  @IsString() id!: string;
  @IsInt() seq!: number;
  @IsString() payload!: string;
}

/**
 * A decorated event class for one topic, as a user would write it
 * (`@KafkaEvent(topic) @KeyedBy('id') class ... extends BenchEventBase {}`).
 */
export function eventClass(topic: string, keyed: boolean): new () => BenchEventBase {
  class BenchEvent extends BenchEventBase {}
  KafkaEvent(topic)(BenchEvent);
  if (keyed) KeyedBy('id')(BenchEvent);
  return BenchEvent;
}

/**
 * Producer settings of a cell: the codec and the accumulator options the cell sets
 * (`lingerMs`, `batchSize`, `bufferMemory`, `maxBlockMs`, `deliveryTimeoutMs`); the rest keep
 * the module's defaults.
 */
export function producerSettings(spec: CellSpec): ProducerSettings {
  const settings: ProducerSettings = { compression: spec.shape.compression };
  const t: ModuleTuning = spec.tuning;
  if (t.lingerMs !== undefined) settings.lingerMs = t.lingerMs;
  if (t.batchSize !== undefined) settings.batchSize = t.batchSize;
  if (t.bufferMemory !== undefined) settings.bufferMemory = t.bufferMemory;
  if (t.maxBlockMs !== undefined) settings.maxBlockMs = t.maxBlockMs;
  if (t.deliveryTimeoutMs !== undefined) settings.deliveryTimeoutMs = t.deliveryTimeoutMs;
  return settings;
}

export async function openModule(spec: CellSpec): Promise<Driver> {
  const codecProblem = await prepareCodec(spec.shape.compression);
  if (codecProblem) throw new SkipCell(codecProblem);
  const options: KafkaProducerModuleOptions = {
    client: { clientId: CLIENT_ID, brokers: spec.brokers, logLevel: logLevel.NOTHING },
    reliability: spec.shape.acks === -1 ? 'all' : 'leader',
    producer: producerSettings(spec),
  };

  @Module({ imports: [KafkaProducerModule.forRoot(options)] })
  class BenchAppModule {}

  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(BenchAppModule, {
      logger: false,
      abortOnError: false,
    });
    await app.init();
  } catch (error) {
    // e.g. a ConfigurationError for a codec the module does not accept yet
    if ((error as Error).name === 'ConfigurationError')
      throw new SkipCell((error as Error).message);
    throw error;
  }
  const producer = app.get(ProducerService);
  const Event = eventClass(spec.topic, spec.shape.keyed);
  const factory = new PayloadFactory(spec.shape.size);
  const make = (i: number) => Object.assign(new Event(), factory.fields(i));
  return {
    sendOne(i) {
      return producer.send(make(i));
    },
    async sendBatch(from, count) {
      const events = new Array<BenchEventBase>(count);
      for (let j = 0; j < count; j++) events[j] = make(from + j);
      await producer.sendMany(events);
    },
    async close() {
      await app.close();
    },
  };
}
