export * from './error-mapper.js';
export * from './partitioner-hook.js';
export * from './producer-pool.js';
export * from './record-sender.js';
