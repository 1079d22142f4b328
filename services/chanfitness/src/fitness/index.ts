/**
 * The pure core of chanfitness: lnd's channel event store (peer logs with flap counting, rate
 * limiting and cool-down; channel lifetime and uptime) as immutable values and functions over
 * our node events. No clock, no I/O: the service shell feeds events and `now` in, and persists
 * and publishes what comes out.
 */
export * from './time.js';
export * from './errors.js';
export * from './intervals.js';
export * from './rate-limit.js';
export * from './cool-down.js';
export * from './online-periods.js';
export * from './uptime.js';
export * from './peer-presence.js';
export * from './own-outage.js';
export * from './peer-log.js';
export * from './node-fitness.js';
export * from './event-log.js';
export * from './peer-fitness.js';
