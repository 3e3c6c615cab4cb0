import {
  Injectable,
  Logger,
  SetMetadata,
  UseInterceptors,
  applyDecorators,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable, from, mergeMap, toArray } from 'rxjs';
import { LOGGER_CONTEXT, OUTBOXED_METADATA } from '../kafka-producer.constants.js';
import { UnitOfWork, unitOfWork } from './unit-of-work.js';

/** Options of `@Outboxed()`. */
export interface OutboxedOptions {
  /**
   * Whether the response waits until the staged events are published (or stored in the
   * outbox). `false` answers as soon as the handler succeeds. Default `true`.
   */
  awaitPublish?: boolean;
}

/**
 * Runs a handler in a unit of work: events sent through ProducerService while it runs are
 * staged (send() resolves at once with `staged: true`), published only if the handler
 * succeeds, dropped if it throws, and stored in the outbox if Kafka fails (fallback mode).
 */
@Injectable()
export class OutboxInterceptor implements NestInterceptor {
  private readonly logger = new Logger(LOGGER_CONTEXT);

  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.getAllAndOverride<OutboxedOptions | undefined>(
      OUTBOXED_METADATA,
      [context.getHandler(), context.getClass()],
    );
    const awaitPublish = options?.awaitPublish ?? true;
    const work = new UnitOfWork();
    // next.handle() binds the handler to the async context it is called in.
    const handled = unitOfWork.run(work, () => next.handle());
    return handled.pipe(
      toArray(),
      mergeMap((values) => {
        const publishing = work.commit();
        if (!awaitPublish) {
          publishing.catch((error: unknown) =>
            this.logger.error(
              `publishing the events of an @Outboxed() handler failed: ${String(error)}`,
            ),
          );
          return from(values);
        }
        return from(publishing.then(() => values)).pipe(mergeMap((v) => from(v)));
      }),
    );
  }
}

/**
 * Makes a controller or handler transactional for Kafka: see OutboxInterceptor.
 *
 * @example `@Post() @Outboxed() create(@Body() dto) { ... this.producer.send(evt) ... }`
 */
export const Outboxed = (options: OutboxedOptions = {}) =>
  applyDecorators(SetMetadata(OUTBOXED_METADATA, options), UseInterceptors(OutboxInterceptor));
