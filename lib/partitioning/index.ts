export * from './murmur2.js';
export * from './partitioner.js';
export * from './sticky-partitioner.js';
