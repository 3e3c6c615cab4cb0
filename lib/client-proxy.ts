// `nestjs-kafka-producer/client-proxy`: the ClientProxy drop-in (needs @nestjs/microservices).
export { KafkaProducerClientProxy } from './kafka-producer-client-proxy.js';
export { NotSupportedError } from './errors/not-supported.error.js';
