export * from './constants.js';
export * from './primitives.js';
export * from './entities.js';
export * from './events.js';
export * from './ops.js';
export * from './frames.js';
