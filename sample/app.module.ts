import { Module } from '@nestjs/common';
import { logLevel } from 'kafkajs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaProducerModule, MemoryOutboxStore, SqliteOutboxStore } from '../lib/index.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { OrdersModule } from './orders/orders.module.js';

/** Brokers from KAFKA_BROKERS (comma-separated); `npm run sample` sets it. */
export function brokersFromEnv(): string[] {
  const value = process.env.KAFKA_BROKERS;
  if (!value) throw new Error('KAFKA_BROKERS is not set (npm run sample starts a local broker)');
  return value.split(',').map((b) => b.trim());
}

/** The schema registry's Confluent API, from SCHEMA_REGISTRY_URL; `npm run sample` sets it. */
export function registryFromEnv(): string {
  const value = process.env.SCHEMA_REGISTRY_URL;
  if (!value) {
    throw new Error('SCHEMA_REGISTRY_URL is not set (npm run sample starts a local registry)');
  }
  return value;
}

/** The sample's outbox file: OUTBOX_FILE, or .sample/outbox.db. */
export function outboxFile(): string {
  if (process.env.OUTBOX_FILE) return process.env.OUTBOX_FILE;
  mkdirSync('.sample', { recursive: true });
  return join('.sample', 'outbox.db');
}

/**
 * kafkajs logs every reconnect attempt (several lines a second while a broker is down);
 * the module still logs what matters: connects, failed connects, give-ups, replaced
 * producers, DEAD outbox rows. logLevel.WARN shows kafkajs's own account too.
 */
const KAFKAJS_LOGS = logLevel.NOTHING;

@Module({
  imports: [
    KafkaProducerModule.forRootAsync({
      isGlobal: true,
      useFactory: () => ({
        client: { clientId: 'orders-sample', brokers: brokersFromEnv(), logLevel: KAFKAJS_LOGS },
        // deliveryTimeoutMs: how long a request keeps retrying Kafka before its events go to
        // the outbox instead. Java's 120 s suits batch jobs, not a client awaiting a 201.
        producer: { compression: 'lz4', lingerMs: 5, deliveryTimeoutMs: 5000 },
        // OrderCreatedAvro's schema is registered here on its first send.
        schemaRegistry: { url: registryFromEnv() },
        // Kafka down? Orders wait in a SQLite file and the relay publishes them later.
        outbox: {
          store: new SqliteOutboxStore({ filename: outboxFile() }),
          relay: {
            // Retries back off from 0.5 s to at most 10 s (default 60 s), so once Kafka is
            // back the waiting orders follow within about 10 s.
            backoffMaxMs: 10000,
            // An outage never makes an order DEAD (the default, 10 attempts, would after a
            // minute or two): it waits as long as Kafka does. A fatal error still does at once.
            maxAttempts: Number.POSITIVE_INFINITY,
          },
        },
      }),
    }),
    KafkaProducerModule.forRootAsync({
      name: 'audit',
      isGlobal: true,
      useFactory: () => ({
        client: {
          clientId: 'orders-sample-audit',
          brokers: brokersFromEnv(),
          logLevel: KAFKAJS_LOGS,
        },
        reliability: 'leader',
        producer: { deliveryTimeoutMs: 5000 },
        // Audit records may be lost if the app dies while Kafka is down: memory is enough.
        outbox: { store: new MemoryOutboxStore() },
      }),
    }),
    OrdersModule,
    ObservabilityModule,
  ],
})
export class AppModule {}
