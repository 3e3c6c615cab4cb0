export * from './decorators/index.js';
export * from './errors/index.js';
export * from './interfaces/index.js';
export * from './partitioning/index.js';
export * from './serialization/index.js';
export { COMPRESSION_CODECS, ensureCodec } from './compression/index.js';
export { EVENT_ID_HEADER, DEFAULT_PRODUCER_NAME } from './kafka-producer.constants.js';
export {
  getOutboxToken,
  getProducerOptionsToken,
  getProducerToken,
} from './kafka-producer.utils.js';
export * from './outbox/index.js';
export { KafkaProducerModule } from './kafka-producer.module.js';
export { ProducerService } from './producer.service.js';
export { uuidv7 } from './utils/uuidv7.js';
