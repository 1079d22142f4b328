/** RedeliveryPolicy bounds how often and how soon a failed message is tried again. */
export interface RedeliveryPolicy {
  /** maxDeliveries is the number of attempts before a message is dead-lettered. Default 10. */
  readonly maxDeliveries: number;
  /** initialDelayMs is the wait after the first failure; it doubles on each later one. Default 1 s. */
  readonly initialDelayMs: number;
  /** maxDelayMs caps the wait. Default 60 s; with the defaults a message is retried for about 4 minutes (243 s before jitter). */
  readonly maxDelayMs: number;
}

export const DEFAULT_REDELIVERY: RedeliveryPolicy = { maxDeliveries: 10, initialDelayMs: 1_000, maxDelayMs: 60_000 };

/** redeliveryDelayMs is the wait before delivery number `deliveryCount + 1`, with ±20% jitter. */
export function redeliveryDelayMs(policy: RedeliveryPolicy, deliveryCount: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, deliveryCount - 1);
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(exponent, 30));
  // Jitter spreads retries from many replicas after a shared outage (the database coming back).
  const jitter = 0.8 + 0.4 * random();
  return Math.max(1, Math.round(Math.min(policy.maxDelayMs, base * jitter)));
}
