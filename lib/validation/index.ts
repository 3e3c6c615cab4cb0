export * from './event-validator.js';
