import { Inject } from '@nestjs/common';
import { getOutboxToken, getProducerToken } from './kafka-producer.utils.js';

/**
 * Injects the producer registered under `name` (`KafkaProducerModule.forRoot({ ..., name })`);
 * without a name, the default `ProducerService`.
 */
export const InjectProducer = (name?: string): ParameterDecorator & PropertyDecorator =>
  Inject(getProducerToken(name));

/** Injects the OutboxService of the producer registered under `name` (default: the default producer's). */
export const InjectOutbox = (name?: string): ParameterDecorator & PropertyDecorator =>
  Inject(getOutboxToken(name));
