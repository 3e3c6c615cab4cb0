import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ClientProxy } from '@nestjs/microservices';
import { logLevel } from 'kafkajs';
import { KafkaProducerModule } from '../../lib/index.js';
import { prepareCodec } from '../support/codecs.js';
import type { CellSpec } from '../support/types.js';
import { emitDriver } from './client-kafka.js';
import { CLIENT_ID, SkipCell, type Driver } from './driver.js';
import { producerSettings } from './module.js';

/** The token the bench app registers the proxy under, as a ClientKafka user would. */
const TOKEN = 'BENCH_SERVICE';

/**
 * The module's `KafkaProducerClientProxy` (the `clientProxy` option) driven exactly as the
 * `client-kafka` peer drives ClientKafka: `emit(topic, data)` per message from the cell's
 * callers, awaited with `lastValueFrom`, the same data (`{ key, value }` when keyed). The
 * producer has the module's settings of the `module` peer (acks all + idempotence for acks -1).
 */
export async function openClientProxy(spec: CellSpec): Promise<Driver> {
  const codecProblem = await prepareCodec(spec.shape.compression);
  if (codecProblem) throw new SkipCell(codecProblem);
  const { acks } = spec.shape;

  @Module({
    imports: [
      KafkaProducerModule.forRoot({
        client: { clientId: CLIENT_ID, brokers: spec.brokers, logLevel: logLevel.NOTHING },
        reliability: acks === -1 ? 'all' : 'leader',
        producer: producerSettings(spec),
        clientProxy: TOKEN,
      }),
    ],
  })
  class BenchProxyModule {}

  const app: INestApplicationContext = await NestFactory.createApplicationContext(
    BenchProxyModule,
    { logger: false, abortOnError: false },
  );
  await app.init();
  const client = app.get<ClientProxy>(TOKEN);
  return emitDriver(client, spec, () => app.close());
}
