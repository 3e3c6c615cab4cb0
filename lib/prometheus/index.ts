// `nestjs-kafka-producer/prometheus`: the prom-client collector (prom-client is an optional
// peer, loaded only by this entry point).
export {
  prometheusName,
  registerKafkaProducerMetrics,
  type ProducerMetricsSource,
} from './kafka-producer.collector.js';
