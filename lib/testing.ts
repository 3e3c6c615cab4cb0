// The testing kit, `nestjs-kafka-producer/testing`: no test framework needed.
export {
  KafkaProducerTestingModule,
  getRecorderToken,
  type KafkaProducerTestingOptions,
} from './kafka-producer-testing.module.js';
export {
  ProducerRecorder,
  type RecordedOffsets,
  type RecordedRecord,
  type RecordedTransaction,
  type RecorderOptions,
} from './testing/producer-recorder.js';
export { startLocalKafka, type LocalKafka, type LocalKafkaOptions } from './testing/local-kafka.js';
