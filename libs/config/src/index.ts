export * from './env.js';
export * from './infrastructure.js';
