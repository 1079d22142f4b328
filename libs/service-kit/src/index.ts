export * from './database.js';
export * from './runtime.js';
