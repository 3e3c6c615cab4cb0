// `nestjs-kafka-producer/health`: the terminus health indicator (@nestjs/terminus is an
// optional peer, loaded only by this entry point).
export {
  KafkaProducerHealthIndicator,
  readinessProblems,
  type ProducerHealthSource,
  type ReadinessThresholds,
} from './kafka-producer.health-indicator.js';
export type {
  HealthCheckOptions,
  ProducerHealth,
} from '../interfaces/producer-health.interface.js';
