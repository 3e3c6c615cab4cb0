export * from './uuidv7.js';
export * from './with-timeout.js';
