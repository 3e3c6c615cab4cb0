import {
  DEFAULT_PRODUCER_NAME,
  PRODUCER_OPTIONS_TOKEN_PREFIX,
  PRODUCER_TOKEN_PREFIX,
} from './kafka-producer.constants.js';
import { ProducerService } from './producer.service.js';
import { OutboxService } from './outbox/outbox.service.js';

function isDefault(name?: string): boolean {
  return name === undefined || name === DEFAULT_PRODUCER_NAME;
}

/** Injection token of a producer: `ProducerService` itself for the default one. */
export function getProducerToken(name?: string): string | typeof ProducerService {
  return isDefault(name) ? ProducerService : `${PRODUCER_TOKEN_PREFIX}:${name}`;
}

/** Injection token of a producer's resolved module options. */
export function getProducerOptionsToken(name?: string): string {
  return `${PRODUCER_OPTIONS_TOKEN_PREFIX}:${isDefault(name) ? DEFAULT_PRODUCER_NAME : name}`;
}

/** Injection token of a producer's OutboxService: the class itself for the default producer. */
export function getOutboxToken(name?: string): string | typeof OutboxService {
  return isDefault(name) ? OutboxService : `${PRODUCER_TOKEN_PREFIX}:${name}:outbox`;
}
