import { Inject } from '@nestjs/common';
import { getProducerToken } from '../kafka-producer.utils.js';

/**
 * Injects the producer registered under `name` (`KafkaProducerModule.forRoot({ ..., name })`);
 * without a name, the default `ProducerService`.
 */
export const InjectProducer = (name?: string): ParameterDecorator & PropertyDecorator =>
  Inject(getProducerToken(name));
