import { Module } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import { hostname } from 'node:os';
import { KafkaProducerModule } from '../../lib/index.js';
import { brokersFromEnv } from '../app.module.js';
import { EnricherService } from './enricher.service.js';

/** The producer name of the enricher's transactional producer. */
export const ENRICHER_PRODUCER = 'enricher';

/** The consume-transform-produce pipeline, with a transactional producer of its own. */
@Module({
  imports: [
    KafkaProducerModule.forRootAsync({
      name: ENRICHER_PRODUCER,
      useFactory: () => ({
        client: {
          clientId: 'orders-enricher',
          brokers: brokersFromEnv(),
          logLevel: logLevel.NOTHING,
        },
        // Unique per app instance and, in production, stable across its restarts (a pod
        // name): a new instance with the same prefix fences the old one. The sample adds its
        // pid, so that two runs never share one.
        transactionalIdPrefix: `orders-enricher-${hostname()}-${process.pid}`,
        transactionalProducers: 2,
      }),
    }),
  ],
  providers: [EnricherService],
})
export class EnricherModule {}
