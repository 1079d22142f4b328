/**
 * Tunables of the simulated fleet. Every duration is simulated time. The defaults give a calm,
 * lnd-like network; tests turn the knobs (faster opens, more failures, flakier peers).
 */

/** FlapProfile is how a peer's connection behaves: alternating exponentially distributed spells. */
export interface FlapProfile {
  /** meanOnlineMs is the average time a peer stays connected; lower means more flaps. */
  readonly meanOnlineMs: number;
  /** meanOfflineMs is the average time a peer stays away. */
  readonly meanOfflineMs: number;
}

/** SimnetConfig tunes a simulated fleet. */
export interface SimnetConfig {
  /** seed makes the run reproducible: the same graph, seed and config give the same events. */
  readonly seed: number;
  /** fleetSize is how many graph nodes become managed fleet nodes. */
  readonly fleetSize: number;
  /** startMs is the simulated time the run starts at (epoch ms). Default 2025-10-25T00:00:00Z. */
  readonly startMs: number;
  /** startHeight is the block height at startMs; a block follows every blockIntervalMs. */
  readonly startHeight: number;
  readonly blockIntervalMs: number;
  /** walletMinSat/walletMaxSat bound each fleet node's initial confirmed on-chain balance. */
  readonly walletMinSat: number;
  readonly walletMaxSat: number;
  /** initialChannels is the most channels a fleet node starts with, taken from its real graph channels. */
  readonly initialChannels: number;
  /** openDelayMs is how long a new channel stays pending before it opens (confirmation time). */
  readonly openDelayMs: number;
  /** openFailureProbability is the chance that an otherwise valid open is refused by the peer. */
  readonly openFailureProbability: number;
  /** fundingFeeSat is the on-chain fee a funding transaction costs the opener. */
  readonly fundingFeeSat: number;
  /** flakyPeerFraction is the share of peers that use the flaky profile instead of the stable one. */
  readonly flakyPeerFraction: number;
  readonly stablePeer: FlapProfile;
  readonly flakyPeer: FlapProfile;
  /** meanPaymentIntervalMs is the average time between payments moving a node's channel balances; 0 disables them. */
  readonly meanPaymentIntervalMs: number;
  /** maxPaymentFraction bounds one payment as a share of the channel's capacity. */
  readonly maxPaymentFraction: number;
  /** forceCloseResolveDelayMs is how long a force close's time-locked outputs take to be swept. */
  readonly forceCloseResolveDelayMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** DEFAULT_SIMNET_CONFIG is a calm network: hour-long confirmations aside, little goes wrong. */
export const DEFAULT_SIMNET_CONFIG: SimnetConfig = {
  seed: 1,
  fleetSize: 10,
  startMs: Date.UTC(2025, 9, 25),
  startHeight: 919_000,
  blockIntervalMs: 10 * MINUTE,
  walletMinSat: 50_000_000,
  walletMaxSat: 500_000_000,
  initialChannels: 3,
  openDelayMs: 30 * MINUTE,
  openFailureProbability: 0.1,
  fundingFeeSat: 500,
  flakyPeerFraction: 0.1,
  stablePeer: { meanOnlineMs: 48 * HOUR, meanOfflineMs: 10 * MINUTE },
  flakyPeer: { meanOnlineMs: 2 * HOUR, meanOfflineMs: 20 * MINUTE },
  meanPaymentIntervalMs: 30 * MINUTE,
  maxPaymentFraction: 0.05,
  forceCloseResolveDelayMs: 24 * HOUR,
};

/** SimnetConfigError names the tunable that is out of range. */
export class SimnetConfigError extends Error {
  override readonly name = 'SimnetConfigError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`invalid simnet configuration: ${field}: ${problem}`);
  }
}

/** resolveSimnetConfig fills in defaults and checks every value, naming the first bad field. */
export function resolveSimnetConfig(overrides: Partial<SimnetConfig> = {}): SimnetConfig {
  const config: SimnetConfig = { ...DEFAULT_SIMNET_CONFIG, ...overrides };
  const nonNegative = (field: keyof SimnetConfig, value: number, integer = true): void => {
    if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value))) {
      throw new SimnetConfigError(field, `must be a non-negative ${integer ? 'integer' : 'number'}`);
    }
  };
  const probability = (field: keyof SimnetConfig, value: number): void => {
    if (!(value >= 0 && value <= 1)) throw new SimnetConfigError(field, 'must be between 0 and 1');
  };
  nonNegative('seed', config.seed);
  nonNegative('fleetSize', config.fleetSize);
  nonNegative('startMs', config.startMs);
  nonNegative('startHeight', config.startHeight);
  nonNegative('walletMinSat', config.walletMinSat);
  nonNegative('walletMaxSat', config.walletMaxSat);
  if (config.walletMaxSat < config.walletMinSat) throw new SimnetConfigError('walletMaxSat', 'must not be below walletMinSat');
  nonNegative('initialChannels', config.initialChannels);
  nonNegative('openDelayMs', config.openDelayMs);
  nonNegative('fundingFeeSat', config.fundingFeeSat);
  nonNegative('meanPaymentIntervalMs', config.meanPaymentIntervalMs);
  nonNegative('forceCloseResolveDelayMs', config.forceCloseResolveDelayMs);
  probability('openFailureProbability', config.openFailureProbability);
  probability('flakyPeerFraction', config.flakyPeerFraction);
  probability('maxPaymentFraction', config.maxPaymentFraction);
  if (!(config.blockIntervalMs > 0)) throw new SimnetConfigError('blockIntervalMs', 'must be positive');
  for (const field of ['stablePeer', 'flakyPeer'] as const) {
    const profile = config[field];
    if (!(profile.meanOnlineMs > 0) || !(profile.meanOfflineMs > 0)) {
      throw new SimnetConfigError(field, 'meanOnlineMs and meanOfflineMs must be positive');
    }
  }
  return config;
}
