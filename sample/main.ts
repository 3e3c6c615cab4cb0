import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

/** Starts the orders service on PORT (default 3000; 0 picks a free port). */
export async function bootstrap(port = Number(process.env.PORT ?? 3000)) {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await bootstrap();
}
