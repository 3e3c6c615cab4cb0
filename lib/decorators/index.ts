export * from './inject-producer.decorator.js';
export * from './kafka-event.decorator.js';
export * from './kafka-header.decorator.js';
export * from './keyed-by.decorator.js';
export * from './reliability.decorator.js';
