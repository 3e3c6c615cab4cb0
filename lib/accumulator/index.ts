export * from './buffer-memory.js';
export * from './producer-batch.js';
export * from './record-accumulator.js';
export * from './ordering-gate.js';
