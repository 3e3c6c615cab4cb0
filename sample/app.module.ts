import { Module } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaProducerModule, MemoryOutboxStore, SqliteOutboxStore } from '../lib/index.js';
import { OrdersModule } from './orders/orders.module.js';

/** Brokers from KAFKA_BROKERS (comma-separated); `npm run sample` sets it. */
export function brokersFromEnv(): string[] {
  const value = process.env.KAFKA_BROKERS;
  if (!value) throw new Error('KAFKA_BROKERS is not set (npm run sample starts a local broker)');
  return value.split(',').map((b) => b.trim());
}

/** The sample's outbox file: OUTBOX_FILE, or .sample/outbox.db. */
export function outboxFile(): string {
  if (process.env.OUTBOX_FILE) return process.env.OUTBOX_FILE;
  mkdirSync('.sample', { recursive: true });
  return join('.sample', 'outbox.db');
}

@Module({
  imports: [
    KafkaProducerModule.forRootAsync({
      isGlobal: true,
      useFactory: () => ({
        client: { clientId: 'orders-sample', brokers: brokersFromEnv() },
        producer: { compression: 'lz4', lingerMs: 5, deliveryTimeoutMs: 5000 },
        // Kafka down? Orders wait in a SQLite file and the relay publishes them later.
        outbox: { store: new SqliteOutboxStore({ filename: outboxFile() }) },
      }),
    }),
    KafkaProducerModule.forRootAsync({
      name: 'audit',
      isGlobal: true,
      useFactory: () => ({
        client: { clientId: 'orders-sample-audit', brokers: brokersFromEnv() },
        reliability: 'leader',
        producer: { deliveryTimeoutMs: 5000 },
        // Audit records may be lost if the app dies while Kafka is down: memory is enough.
        outbox: { store: new MemoryOutboxStore() },
      }),
    }),
    OrdersModule,
  ],
})
export class AppModule {}
