import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { EnricherModule } from './enricher/enricher.module.js';

/** The orders service with the enricher (sample/enricher) running beside it. */
@Module({ imports: [AppModule, EnricherModule] })
export class AppWithEnricherModule {}

/**
 * Starts the orders service on PORT (default 3000; 0 picks a free port), with the
 * consume-transform-produce enricher when `enricher` is true (`npm run sample` and a
 * started `main.ts` run it).
 */
export async function bootstrap(port = Number(process.env.PORT ?? 3000), enricher = false) {
  const app = await NestFactory.create(enricher ? AppWithEnricherModule : AppModule, {
    logger: ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bootstrap(undefined, true);
}
