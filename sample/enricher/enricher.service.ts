import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Kafka, logLevel, type Consumer, type KafkaMessage } from 'kafkajs';
import { InjectProducer, ProducerService } from '../../lib/index.js';
import { brokersFromEnv } from '../app.module.js';
import { OrderEnriched } from './order-enriched.event.js';

/** The enricher's consumer group: its offsets are committed inside the transactions. */
export const ENRICHER_GROUP = 'orders-enricher';

/**
 * Consume-transform-produce, exactly once: a kafkajs consumer (read_committed, kafkajs's
 * default) reads `orders.created`, and each batch it gets becomes one transaction that writes
 * an OrderEnriched per order to `orders.enriched` and commits the consumer's offsets. Either
 * both happen or neither: after a crash or a failed transaction the batch is read again from
 * the last committed offset, and a read_committed reader of `orders.enriched` sees each order
 * once.
 */
@Injectable()
export class EnricherService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EnricherService.name);
  private consumer?: Consumer;

  constructor(@InjectProducer('enricher') private readonly producer: ProducerService) {}

  async onApplicationBootstrap(): Promise<void> {
    const kafka = new Kafka({
      clientId: 'orders-enricher',
      brokers: brokersFromEnv(),
      logLevel: logLevel.NOTHING,
    });
    // On a fresh cluster nothing has created the topics yet: subscribing needs them.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: 'orders.created' }, { topic: 'orders.enriched' }],
      });
    } finally {
      await admin.disconnect();
    }
    const consumer = (this.consumer = kafka.consumer({
      groupId: ENRICHER_GROUP,
      maxWaitTimeInMs: 200,
    }));
    await consumer.connect();
    await consumer.subscribe({ topics: ['orders.created'], fromBeginning: true });
    await consumer.run({
      autoCommit: false, // the offsets go with each transaction instead
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
        const last = batch.lastOffset();
        try {
          await this.producer.transaction(async (tx) => {
            await tx.sendMany(batch.messages.map((m) => this.enrich(batch.partition, m)));
            await tx.sendOffsets({
              consumerGroupId: ENRICHER_GROUP,
              topics: [
                {
                  topic: batch.topic,
                  partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }],
                },
              ],
            });
          });
          payload.resolveOffset(last);
        } catch (error) {
          // Nothing of the batch is committed: read it again from its first record.
          if (!payload.isRunning()) return;
          this.logger.warn(`enriching a batch failed, reading it again: ${String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
          consumer.seek({
            topic: batch.topic,
            partition: batch.partition,
            offset: batch.firstOffset()!,
          });
        }
      },
    });
  }

  /** Stops consuming before the producers shut down (Nest runs this hook first). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private enrich(partition: number, message: KafkaMessage): OrderEnriched {
    const order = JSON.parse(message.value!.toString()) as {
      orderId: string;
      sku: string;
      quantity: number;
      tenantId: string;
    };
    return Object.assign(new OrderEnriched(), {
      orderId: order.orderId,
      sku: order.sku,
      quantity: order.quantity,
      tenantId: order.tenantId,
      size: order.quantity >= 5 ? 'bulk' : 'single',
      source: `orders.created/${partition}@${message.offset}`,
    });
  }
}
