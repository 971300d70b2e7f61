export * from './array.js';
export * from './frames.js';
export * from './machine.js';
export * from './memory.js';
export * from './strategy.js';
export * from './task.js';
export * from './slot.js';
