import { evolve, initialProjection } from '../projection/node-projection.js';
import { balanceEvent, FIXTURE_NODE, openedEvent, policyEvent } from '../projection/projection.fixture.js';
import { testPubKey } from '../heuristics/test-graphs.fixture.js';
import { batchDecisionKey, foldNodeEvents } from './batch-fold.js';

describe('foldNodeEvents', () => {
  it('folds a node’s events in order, counting news and repeats, and names the last news as the trigger', () => {
    const policy = { message: policyEvent(), sequence: 1 };
    const opened = { message: openedEvent(1, testPubKey(2)), sequence: 5 };
    const balance = { message: balanceEvent(2_000_000), sequence: 6 };
    const stale = { message: balanceEvent(1_000_000), sequence: 4 };
    const fold = foldNodeEvents(initialProjection(FIXTURE_NODE), [policy, opened, balance, opened, stale]);
    expect(fold).toMatchObject({ applied: 3, duplicates: 2, trigger: balance });
    expect(fold.state.balance?.confirmedSat).toBe(2_000_000);
    // The same as folding them one by one.
    const oneByOne = [policy, opened, balance].reduce((state, event) => evolve(state, event), initialProjection(FIXTURE_NODE));
    expect(fold.state).toEqual(oneByOne);
  });

  it('has no trigger when nothing changed', () => {
    const loaded = evolve(initialProjection(FIXTURE_NODE), { message: balanceEvent(1), sequence: 3 });
    const fold = foldNodeEvents(loaded, [{ message: balanceEvent(5), sequence: 2 }]);
    expect(fold.state).toBe(loaded);
    expect(fold).toMatchObject({ applied: 0, duplicates: 1 });
    expect(fold.trigger).toBeUndefined();
  });
});

describe('batchDecisionKey', () => {
  it('depends on the committed state only: equal states give equal keys, any change a new one', () => {
    const empty = initialProjection(FIXTURE_NODE);
    const funded = evolve(empty, { message: balanceEvent(1_000_000), sequence: 1 });
    expect(batchDecisionKey(empty)).toBe(batchDecisionKey(initialProjection(FIXTURE_NODE)));
    expect(batchDecisionKey(funded)).not.toBe(batchDecisionKey(empty));
    expect(batchDecisionKey(funded)).not.toBe(batchDecisionKey({ ...funded, revision: funded.revision + 1 }));
    expect(batchDecisionKey(initialProjection(testPubKey(3)))).not.toBe(batchDecisionKey(empty));
    expect(batchDecisionKey(funded)).toMatch(/^batch:[0-9a-f]{32}$/);
  });
});
