export * from './outgoing-record.js';
export * from './record-size.js';
export * from './topic-name.js';
export * from './partition.js';
export * from './record-builder.js';
