import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IsInt, IsString } from 'class-validator';
import { logLevel } from 'kafkajs';
import type * as Lib from '../../lib/index.js';
import type { KafkaProducerModuleOptions, ProducerSettings } from '../../lib/index.js';
import { observabilityOptions, sendWrapper } from './observability.js';
import { prepareCodec } from '../support/codecs.js';
import { PayloadFactory, type BenchFields } from '../support/payload.js';
import { AVRO_SCHEMA } from '../support/schemas.js';
import type { CellSpec, ModuleTuning } from '../support/types.js';
import { CLIENT_ID, SkipCell, type Driver } from './driver.js';

/** The DTO every module cell sends: validated like a user's event would be. */
export class BenchEventBase implements BenchFields {
  @IsString() id!: string;
  @IsInt() seq!: number;
  @IsString() payload!: string;
}

/** The module's public entry (lib/index.ts), of this checkout or of another build. */
export type ModuleLib = typeof Lib;

/**
 * The compiled entry of the module in `dir`: a checkout built with `npm run build:dev`
 * (`.build/lib/index.js`) or `npm run build` (`dist/index.js`), or a folder holding `index.js`.
 */
export function moduleEntry(dir: string): string {
  const candidates = [join('.build', 'lib', 'index.js'), join('dist', 'index.js'), 'index.js'];
  for (const c of candidates) {
    const file = resolve(dir, c);
    if (existsSync(file)) return file;
  }
  throw new Error(
    `no built module in ${dir} (looked for ${candidates.join(', ')}; run npm run build:dev there)`,
  );
}

/** Loads the module: this checkout's build when `dir` is undefined, else the build in `dir`. */
export async function loadModule(dir?: string): Promise<ModuleLib> {
  if (dir === undefined) return import('../../lib/index.js');
  return (await import(pathToFileURL(moduleEntry(dir)).href)) as ModuleLib;
}

/**
 * A decorated event class for one topic, as a user would write it
 * (`@KafkaEvent(topic) @KeyedBy('id') class ... extends BenchEventBase {}`).
 */
export function eventClass(
  lib: ModuleLib,
  topic: string,
  keyed: boolean,
  format: 'json' | 'avro' = 'json',
): new () => BenchEventBase {
  class BenchEvent extends BenchEventBase {}
  if (format === 'avro') lib.KafkaEvent(topic, { serializer: lib.avro(AVRO_SCHEMA) })(BenchEvent);
  else lib.KafkaEvent(topic)(BenchEvent);
  if (keyed) lib.KeyedBy('id')(BenchEvent);
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

/** The part of a transaction's handle a W6 run uses. */
interface BenchTransaction {
  sendMany(events: object[]): Promise<unknown>;
}
type TransactionFn = (work: (tx: BenchTransaction) => Promise<unknown>) => Promise<unknown>;

/** `producer.transaction`, bound; a SkipCell for a build that has none (an older one). */
function transactionOf(producer: object): TransactionFn {
  const fn = (producer as { transaction?: TransactionFn }).transaction;
  if (typeof fn !== 'function') throw new SkipCell('this build has no producer.transaction()');
  return fn.bind(producer);
}

export async function openModule(spec: CellSpec): Promise<Driver> {
  const codecProblem = await prepareCodec(spec.shape.compression);
  if (codecProblem) throw new SkipCell(codecProblem);
  const lib = await loadModule(spec.moduleDir);
  const options: KafkaProducerModuleOptions = {
    client: { clientId: CLIENT_ID, brokers: spec.brokers, logLevel: logLevel.NOTHING },
    reliability: spec.shape.acks === -1 ? 'all' : 'leader',
    producer: producerSettings(spec),
    ...(await observabilityOptions(spec.tuning.observability)),
  };
  if (spec.transactional) {
    // Cast: the option is checked by the build that runs (an older one has none and skips).
    (options as { transactionalIdPrefix?: string }).transactionalIdPrefix = `bench-${spec.topic}`;
  }
  const format = spec.peer === 'module+avro' ? 'avro' : 'json';
  if (format === 'avro') {
    if (!spec.registryUrl) throw new SkipCell('no schema registry (needs a Java 21+ to start one)');
    options.schemaRegistry = { url: spec.registryUrl };
  }

  @Module({ imports: [lib.KafkaProducerModule.forRoot(options)] })
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
  const producer = app.get(lib.ProducerService);
  let transaction: TransactionFn | undefined;
  try {
    transaction = spec.transactional ? transactionOf(producer) : undefined;
  } catch (error) {
    await app.close();
    throw error;
  }
  const Event = eventClass(lib, spec.topic, spec.shape.keyed, format);
  const factory = new PayloadFactory(spec.shape.size);
  const make = (i: number) => Object.assign(new Event(), factory.fields(i));
  const wrap = await sendWrapper(spec.tuning.observability);
  return {
    sendOne: wrap ? (i) => wrap(() => producer.send(make(i))) : (i) => producer.send(make(i)),
    async sendBatch(from, count) {
      const events = new Array<BenchEventBase>(count);
      for (let j = 0; j < count; j++) events[j] = make(from + j);
      if (transaction) await transaction((tx) => tx.sendMany(events));
      else await producer.sendMany(events);
    },
    async close() {
      await app.close();
    },
  };
}
