/**
 * A Nest HTTP app written the way the README's users write `main.ts`, run as a child process
 * by test/startup.e2e-spec.ts (transpiled by ChildScript) against a port where nothing listens,
 * and by test/security.e2e-spec.ts against a SASL_SSL listener with a wrong password.
 * Never run by hand.
 *
 * Environment: KAFKA_BROKERS; with KAFKA_CA_FILE, TLS trusting that CA; with KAFKA_USERNAME
 * and KAFKA_PASSWORD, a SCRAM-SHA-512 login; STARTUP_SHAPE is one of
 * - `catch`: `bootstrap().catch((e) => { console.error(e); process.exit(1); })`;
 * - `top-level-await`: `await NestFactory.create(...)` at the top of the module;
 * - `lazy`: `connect: 'lazy'`; the app starts, then its first `send()` must reject: prints
 *   `first send rejected: <name>: <message>` and exits 3 (or `first send resolved` and exits 4).
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaEvent, KafkaProducerModule, ProducerService } from '../../lib/index.js';

@KafkaEvent('startup.checked')
class StartupChecked {
  at = Date.now();
}

const shape = process.env.STARTUP_SHAPE ?? 'catch';
const { KAFKA_CA_FILE: caFile, KAFKA_USERNAME: username, KAFKA_PASSWORD: password } = process.env;

@Module({
  imports: [
    KafkaProducerModule.forRoot({
      client: {
        brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
        clientId: 'startup-app',
        ...(caFile && { ssl: { ca: [readFileSync(caFile, 'utf8')] } }),
        ...(username &&
          password && { sasl: { mechanism: 'scram-sha-512' as const, username, password } }),
      },
      producer: { maxBlockMs: 3000, deliveryTimeoutMs: 3000, requestTimeoutMs: 1000 },
      connect: shape === 'lazy' ? 'lazy' : 'eager',
    }),
  ],
})
class AppModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  if (shape !== 'lazy') return;
  try {
    await app.get(ProducerService).send(new StartupChecked());
    console.log('first send resolved');
    process.exitCode = 4;
  } catch (error) {
    const { name, message } = error as Error;
    console.error(`first send rejected: ${name}: ${message}`);
    process.exitCode = 3;
  }
  await app.close();
}

if (shape === 'top-level-await') {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
} else {
  bootstrap().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
