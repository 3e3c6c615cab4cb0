export * from './buffer.serializer.js';
export * from './integer.serializer.js';
export * from './json.serializer.js';
export * from './string.serializer.js';
export * from './serializer-registry.js';
