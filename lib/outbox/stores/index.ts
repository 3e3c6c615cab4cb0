export * from './outbox-store.interface.js';
