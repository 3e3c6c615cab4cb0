import { Module } from '@nestjs/common';
import { KafkaProducerModule } from '../lib/index.js';
import { OrdersModule } from './orders/orders.module.js';

/** Brokers from KAFKA_BROKERS (comma-separated); `npm run sample` sets it. */
export function brokersFromEnv(): string[] {
  const value = process.env.KAFKA_BROKERS;
  if (!value) throw new Error('KAFKA_BROKERS is not set (npm run sample starts a local broker)');
  return value.split(',').map((b) => b.trim());
}

@Module({
  imports: [
    KafkaProducerModule.forRootAsync({
      isGlobal: true,
      useFactory: () => ({
        client: { clientId: 'orders-sample', brokers: brokersFromEnv() },
        producer: { compression: 'lz4', lingerMs: 5 },
      }),
    }),
    KafkaProducerModule.forRoot({
      name: 'audit',
      isGlobal: true,
      client: { clientId: 'orders-sample-audit', brokers: brokersFromEnv() },
      reliability: 'leader',
    }),
    OrdersModule,
  ],
})
export class AppModule {}
