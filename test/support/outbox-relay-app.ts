/**
 * A minimal app instance whose only work is the outbox relay: KafkaProducerModule with a
 * PostgreSQL outbox, run as a child process by test/outbox-crash.e2e-spec.ts (transpiled by
 * ChildScript), which SIGKILLs it mid-relay. Never run by hand.
 *
 * Environment: KAFKA_BROKERS, OUTBOX_PG_URL, OUTBOX_TABLE, OUTBOX_RELAY (JSON relay options).
 * Prints `relay ready <owner>` once the module is up (the relay is running then).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import {
  KafkaProducerModule,
  PostgresOutboxStore,
  type OutboxRelayOptions,
} from '../../lib/index.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const relay = JSON.parse(env('OUTBOX_RELAY')) as OutboxRelayOptions;
const app = await NestFactory.createApplicationContext(
  KafkaProducerModule.forRoot({
    client: { brokers: env('KAFKA_BROKERS').split(','), clientId: 'outbox-relay-app' },
    outbox: {
      store: new PostgresOutboxStore({
        connectionString: env('OUTBOX_PG_URL'),
        table: env('OUTBOX_TABLE'),
        poolSize: 4,
      }),
      fallback: false,
      relay,
    },
  }),
  { logger: ['error', 'warn'] },
);
app.enableShutdownHooks();
console.log(`relay ready ${relay.owner ?? ''}`);
