export * from './event-descriptor.js';
export * from './event-metadata.accessor.js';
export * from './key-extractor.js';
export * from './reliability-profile.js';
