export * from './outbox-options.interface.js';
export * from './outbox-relay.js';
export * from './outbox.interceptor.js';
export * from './outbox.service.js';
export * from './stores/index.js';
export { unitOfWork, UnitOfWork } from './unit-of-work.js';
