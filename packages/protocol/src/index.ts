export * from './constants.js';
export * from './primitives.js';
export * from './permissions.js';
export * from './moderation.js';
export * from './entities.js';
export * from './events.js';
export * from './ops.js';
export * from './frames.js';
export { ENGINE_OP_NAMES, WIRE_OP_NAMES, PREVIEW_LENGTH, previewOf, previewText, visibleMessage, applyMutation } from './lite.js';
