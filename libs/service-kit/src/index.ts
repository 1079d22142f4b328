export * from './database.js';
export * from './health.js';
export * from './http.js';
export * from './runtime.js';
