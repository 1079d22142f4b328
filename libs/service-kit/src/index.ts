export * from './database.js';
export * from './http.js';
export * from './runtime.js';
