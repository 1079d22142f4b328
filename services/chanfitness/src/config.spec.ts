import { ConfigError } from '@lnfleet/config';
import { loadChanfitnessConfig } from './config.js';
import { DAY, HOUR } from './fitness/index.js';

describe('loadChanfitnessConfig', () => {
  it('has documented defaults', () => {
    expect(loadChanfitnessConfig({})).toEqual({
      thresholds: { maxFlapCount: 20, minUptimeRatio: 0.9, uptimeWindowMs: DAY, minObservedMs: HOUR },
      consumer: 'chanfitness',
      concurrency: 2_048,
      batchSize: 1_024,
      cacheNodes: 10_000,
      rejudgeMs: 300_000,
      warmNodes: 10_000,
      warmWaitMs: 60_000,
    });
  });

  it('reads every variable', () => {
    const config = loadChanfitnessConfig({
      CHANFITNESS_MAX_FLAP_COUNT: '0',
      CHANFITNESS_MIN_UPTIME_RATIO: '1',
      CHANFITNESS_UPTIME_WINDOW_MS: '3600000',
      CHANFITNESS_MIN_OBSERVED_MS: '0',
      CHANFITNESS_CONSUMER: 'chanfitness-rebuild-2',
      CHANFITNESS_CONCURRENCY: '64',
      CHANFITNESS_BATCH_SIZE: '32',
      CHANFITNESS_CACHE_NODES: '5',
      CHANFITNESS_REJUDGE_MS: '0',
      CHANFITNESS_WARM_NODES: '0',
      CHANFITNESS_WARM_WAIT_MS: '1500',
    });
    expect(config).toEqual({
      thresholds: { maxFlapCount: 0, minUptimeRatio: 1, uptimeWindowMs: HOUR, minObservedMs: 0 },
      consumer: 'chanfitness-rebuild-2',
      concurrency: 64,
      batchSize: 32,
      cacheNodes: 5,
      rejudgeMs: 0,
      warmNodes: 0,
      warmWaitMs: 1_500,
    });
  });

  it.each([
    ['CHANFITNESS_MAX_FLAP_COUNT', '-1'],
    ['CHANFITNESS_MAX_FLAP_COUNT', '2.5'],
    ['CHANFITNESS_MIN_UPTIME_RATIO', '1.5'],
    ['CHANFITNESS_MIN_UPTIME_RATIO', 'high'],
    ['CHANFITNESS_UPTIME_WINDOW_MS', '0'],
    ['CHANFITNESS_MIN_OBSERVED_MS', '-5'],
    ['CHANFITNESS_CONSUMER', 'has.dots'],
    ['CHANFITNESS_CONCURRENCY', '0'],
    ['CHANFITNESS_CONCURRENCY', '5000'],
    ['CHANFITNESS_BATCH_SIZE', '20000'],
    ['CHANFITNESS_CACHE_NODES', 'many'],
    ['CHANFITNESS_REJUDGE_MS', '-1'],
    ['CHANFITNESS_WARM_NODES', '-1'],
    ['CHANFITNESS_WARM_WAIT_MS', 'soon'],
  ])('rejects %s=%s with a ConfigError naming it', (variable, value) => {
    const load = (): unknown => loadChanfitnessConfig({ [variable]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^invalid configuration: ${variable}: `));
  });
});
