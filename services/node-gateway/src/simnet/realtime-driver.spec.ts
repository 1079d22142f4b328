import { waitFor } from '@lnfleet/testing';
import { driveInRealtime } from './realtime-driver.js';
import { SimClock } from './sim-clock.js';

describe('driveInRealtime', () => {
  it('advances the simulated clock by wall time times speed, until stopped', async () => {
    const clock = new SimClock(0);
    let wall = 1_000;
    const driver = driveInRealtime(clock, { speed: 60, tickMs: 5, wallNow: () => wall });
    wall += 1_000;
    await waitFor('one wall second to be simulated as a minute', () => clock.now(), (t) => t === 60_000);
    driver.stop();
    expect(() => driveInRealtime(clock, { speed: 0 })).toThrow(RangeError);
  });
});
