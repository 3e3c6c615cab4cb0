export * from './compression.interface.js';
export * from './delivery-report.interface.js';
export * from './kafka-producer-options.interface.js';
export * from './producer-listener.interface.js';
export * from './reliability.interface.js';
export * from './send-options.interface.js';
export * from './serializer.interface.js';
