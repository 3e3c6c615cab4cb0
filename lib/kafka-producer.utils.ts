import {
  DEFAULT_PRODUCER_NAME,
  PRODUCER_OPTIONS_TOKEN_PREFIX,
  PRODUCER_TOKEN_PREFIX,
} from './kafka-producer.constants.js';
import { ProducerService } from './producer.service.js';

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
