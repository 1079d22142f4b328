import { testPubKey } from '../heuristics/test-graphs.fixture.js';
import {
  agentState,
  evolve,
  expirePendingOpens,
  initialProjection,
  recordOpens,
  reservedSat,
  type NodeProjection,
  type ProjectedEvent,
  type ProjectedMessage,
} from './node-projection.js';
import {
  balanceEvent,
  closedEvent,
  failedEvent,
  fitnessEvent,
  FIXTURE_NODE,
  openedEvent,
  pendingEvent,
  policyEvent,
  requestedEvent,
  snapshotEvent,
  T0,
} from './projection.fixture.js';

const MINUTE = 60_000;
const BACKOFF = { baseMs: 10 * MINUTE, maxMs: 60 * MINUTE };
const peer = testPubKey;

/** given folds events (each with its sequence) into a fresh projection. */
function given(...events: [ProjectedMessage, number][]): NodeProjection {
  return events.reduce<NodeProjection>((state, [message, sequence]) => evolve(state, { message, sequence }, { backoff: BACKOFF }), initialProjection(FIXTURE_NODE));
}

const apply = (state: NodeProjection, message: ProjectedMessage, sequence: number): NodeProjection => evolve(state, { message, sequence }, { backoff: BACKOFF });

/** withoutRevision compares projections by content (the revision counts changes, which depend on order). */
function content(state: NodeProjection) {
  const { revision: _revision, ...rest } = state;
  return { ...rest, channels: [...rest.channels.entries()].sort(), pendingOpens: [...rest.pendingOpens.entries()].sort(), failures: [...rest.failures.entries()].sort() };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('autopilot projection: evolve', () => {
  it('records a balance and ignores the same event delivered again (same object back)', () => {
    const state = given([balanceEvent(5_000_000), 3]);
    expect(state.balance).toEqual({ confirmedSat: 5_000_000, unconfirmedSat: 0, lockedSat: 0, sequence: 3 });
    expect(state.revision).toBe(1);
    expect(apply(state, balanceEvent(5_000_000), 3)).toBe(state);
  });

  it('never lets an older balance overwrite a newer one', () => {
    const state = given([balanceEvent(7_000_000), 9]);
    expect(apply(state, balanceEvent(1_000), 4)).toBe(state);
    expect(apply(state, balanceEvent(1_000), 10).balance?.confirmedSat).toBe(1_000);
  });

  it('follows a channel from pending to open to closed, and a closed channel stays closed', () => {
    const pending = given([pendingEvent(1, peer(1)), 1]);
    expect(pending.channels.get(pendingEvent(1, peer(1)).data.channelPoint)?.status).toBe('pending');
    const open = apply(pending, openedEvent(1, peer(1)), 2);
    const closed = apply(open, closedEvent(1, peer(1)), 3);
    const point = openedEvent(1, peer(1)).data.channelPoint;
    expect(open.channels.get(point)?.status).toBe('open');
    expect(closed.channels.get(point)).toMatchObject({ status: 'closed', localBalanceSat: 0, sequence: 3 });
    expect(apply(closed, openedEvent(1, peer(1)), 4)).toBe(closed);
  });

  it('ends in the same state whatever order the events of different records arrive in', () => {
    const events: [ProjectedMessage, number][] = [
      [pendingEvent(1, peer(1)), 1],
      [openedEvent(1, peer(1)), 2],
      [closedEvent(1, peer(1)), 3],
      [balanceEvent(1_000_000), 4],
      [openedEvent(2, peer(2)), 5],
      [balanceEvent(2_000_000), 6],
      [policyEvent({ dryRun: true }), 7],
    ];
    const expected = content(given(...events));
    for (const order of permutations(events)) {
      expect(content(given(...order))).toEqual(expected);
    }
    expect(expected.balance?.confirmedSat).toBe(2_000_000);
  });

  it('an OpenChannel outcome resolves its pending open; ChannelOpenRequested adds the pending channel', () => {
    const planned = recordOpens(given([balanceEvent(5_000_000), 1]), [{ commandId: 'cmd-1', peer: peer(1), amountSat: 1_000_000, expiresAtMs: T0 + 10 * MINUTE }], 1);
    expect(agentState(planned, T0).pendingOpens).toEqual([{ peer: peer(1), amountSat: 1_000_000 }]);
    const requested = apply(planned, requestedEvent('cmd-1', peer(1), 1_000_000, 7), 2);
    expect(requested.pendingOpens.get('cmd-1')?.status).toBe('requested');
    expect(agentState(requested, T0)).toMatchObject({
      pendingOpens: [],
      channels: [{ peer: peer(1), balanceSat: 1_000_000 }],
    });
    expect(apply(requested, requestedEvent('cmd-1', peer(1), 1_000_000, 7), 2)).toBe(requested);
  });

  it('ChannelOpenFailed frees the slot and skips the peer with doubling backoff, at least until retryableAfter', () => {
    const planned = recordOpens(initialProjection(FIXTURE_NODE), [{ commandId: 'cmd-1', peer: peer(1), amountSat: 1_000_000, expiresAtMs: T0 + MINUTE }], 0);
    const failed = apply(planned, failedEvent('cmd-1', peer(1), 1_000_000, T0), 5);
    expect(failed.pendingOpens.get('cmd-1')?.status).toBe('failed');
    expect(failed.failures.get(peer(1))).toEqual({ peer: peer(1), attempts: 1, failedUntilMs: T0 + 10 * MINUTE, sequence: 5 });
    expect(agentState(failed, T0 + 9 * MINUTE).failedUntil.has(peer(1))).toBe(true);
    expect(agentState(failed, T0 + 10 * MINUTE).failedUntil.has(peer(1))).toBe(false);

    const again = apply(failed, failedEvent('cmd-2', peer(1), 1_000_000, T0 + 20 * MINUTE), 8);
    expect(again.failures.get(peer(1))).toMatchObject({ attempts: 2, failedUntilMs: T0 + 40 * MINUTE });
    expect(apply(again, failedEvent('cmd-2', peer(1), 1_000_000, T0 + 20 * MINUTE), 8)).toBe(again);

    const told = apply(again, failedEvent('cmd-3', peer(1), 1, T0 + 50 * MINUTE, T0 + 500 * MINUTE), 9);
    expect(told.failures.get(peer(1))).toMatchObject({ attempts: 3, failedUntilMs: T0 + 500 * MINUTE });
  });

  it('a channel to a failed peer forgives its failures; an older failure arriving later does not come back', () => {
    const failed = given([failedEvent('cmd-1', peer(1), 1_000_000), 3]);
    const forgiven = apply(failed, openedEvent(1, peer(1)), 6);
    expect(forgiven.failures.get(peer(1))).toMatchObject({ attempts: 0, failedUntilMs: 0 });
    expect(apply(forgiven, failedEvent('cmd-0', peer(1), 1_000_000), 2).failures.get(peer(1))?.attempts).toBe(0);
  });

  it('an outcome that arrives before its command was recorded keeps the command from counting as in flight', () => {
    const outcomeFirst = given([failedEvent('cmd-1', peer(1), 1_000_000), 4]);
    const recorded = recordOpens(outcomeFirst, [{ commandId: 'cmd-1', peer: peer(1), amountSat: 1_000_000, expiresAtMs: T0 + MINUTE }], 2);
    expect(recorded.pendingOpens.get('cmd-1')).toEqual({ commandId: 'cmd-1', peer: peer(1), amountSat: 1_000_000, expiresAtMs: T0 + MINUTE, status: 'failed', sequence: 4 });
    expect(agentState(recorded, T0).pendingOpens).toEqual([]);
    // The same row as when the command was recorded first.
    const inOrder = apply(
      recordOpens(initialProjection(FIXTURE_NODE), [{ commandId: 'cmd-1', peer: peer(1), amountSat: 1_000_000, expiresAtMs: T0 + MINUTE }], 2),
      failedEvent('cmd-1', peer(1), 1_000_000),
      4,
    );
    expect(inOrder.pendingOpens).toEqual(recorded.pendingOpens);
    expect(recordOpens(recorded, [{ commandId: 'cmd-1', peer: peer(1), amountSat: 1_000_000, expiresAtMs: T0 + MINUTE }], 2)).toBe(recorded);
  });

  it('expires in-flight opens after their expiry plus grace, and a late outcome still counts', () => {
    const planned = recordOpens(initialProjection(FIXTURE_NODE), [{ commandId: 'cmd-1', peer: peer(1), amountSat: 1_000_000, expiresAtMs: T0 + MINUTE }], 0);
    expect(expirePendingOpens(planned, T0 + 2 * MINUTE - 1, MINUTE)).toBe(planned);
    const expired = expirePendingOpens(planned, T0 + 2 * MINUTE, MINUTE);
    expect(expired.pendingOpens.get('cmd-1')?.status).toBe('expired');
    expect(agentState(expired, T0).pendingOpens).toEqual([]);
    expect(apply(expired, requestedEvent('cmd-1', peer(1), 1_000_000, 3), 5).pendingOpens.get('cmd-1')?.status).toBe('requested');
  });

  it('a snapshot reconciles: adds listed channels, closes unlisted older ones, leaves newer facts alone', () => {
    const before = given([openedEvent(1, peer(1)), 1], [openedEvent(2, peer(2)), 2], [pendingEvent(9, peer(9)), 20]);
    const after = apply(before, snapshotEvent([[1, peer(1)], [3, peer(3)]], 4_000_000), 10);
    const status = (index: number) => after.channels.get(openedEvent(index, peer(index)).data.channelPoint)?.status;
    expect([status(1), status(2), status(3), status(9)]).toEqual(['open', 'closed', 'open', 'pending']);
    expect(after.balance).toMatchObject({ confirmedSat: 4_000_000, sequence: 10 });
  });

  it("keeps chanfitness's newest verdict per peer; the agent skips unfit peers", () => {
    const state = given([fitnessEvent(peer(1), false), 4], [fitnessEvent(peer(2), false), 5]);
    expect(agentState(state, T0).unfitPeers).toEqual([peer(1), peer(2)]);
    const recovered = apply(state, fitnessEvent(peer(2), true), 6);
    expect(agentState(recovered, T0).unfitPeers).toEqual([peer(1)]);
    expect(apply(recovered, fitnessEvent(peer(2), false), 5)).toBe(recovered);
  });

  it('keeps the newest policy by sequence', () => {
    const state = given([policyEvent({ dryRun: true }), 5]);
    expect(apply(state, policyEvent({ enabled: false }), 4)).toBe(state);
    expect(apply(state, policyEvent({ enabled: false }), 6).policy).toMatchObject({ enabled: false, dryRun: false, sequence: 6 });
  });
});

describe('autopilot projection: agentState', () => {
  it('gives the agent open and pending channels, in-flight opens, active failures and confirmed minus locked funds', () => {
    const events: ProjectedEvent[] = [
      { message: balanceEvent(3_000_000, FIXTURE_NODE, 500_000), sequence: 1 },
      { message: openedEvent(1, peer(1)), sequence: 2 },
      { message: pendingEvent(2, peer(2), 400_000), sequence: 3 },
      { message: openedEvent(3, peer(3)), sequence: 4 },
      { message: closedEvent(3, peer(3)), sequence: 5 },
      { message: failedEvent('cmd-x', peer(4), 1_000, T0), sequence: 6 },
    ];
    const state = recordOpens(
      events.reduce((s, e) => evolve(s, e, { backoff: BACKOFF }), initialProjection(FIXTURE_NODE)),
      [{ commandId: 'cmd-y', peer: peer(5), amountSat: 200_000, expiresAtMs: T0 + MINUTE }],
      6,
    );
    const agent = agentState(state, T0 + MINUTE);
    expect(agent).toEqual({
      self: FIXTURE_NODE,
      channels: [
        { channelId: openedEvent(1, peer(1)).data.channelPoint, peer: peer(1), balanceSat: 1_000_000 },
        { channelId: pendingEvent(2, peer(2)).data.channelPoint, peer: peer(2), balanceSat: 400_000 },
      ],
      pendingOpens: [{ peer: peer(5), amountSat: 200_000 }],
      failedUntil: new Map([[peer(4), T0 + 10 * MINUTE]]),
      unfitPeers: [],
      // Confirmed 3,000,000 less locked 500,000, less the 200,000 the in-flight open claims.
      walletBalanceSat: 2_300_000,
    });
  });

  it('reserves the funds of opens the last balance event does not show spent yet', () => {
    const funded = evolve(initialProjection(FIXTURE_NODE), { message: balanceEvent(10_000_000), sequence: 10 });
    const opened = recordOpens(
      funded,
      [
        { commandId: 'cmd-a', peer: peer(1), amountSat: 1_000_000, expiresAtMs: T0 + MINUTE },
        { commandId: 'cmd-b', peer: peer(2), amountSat: 2_000_000, expiresAtMs: T0 + MINUTE },
      ],
      3,
    );
    // In flight: both claimed.
    expect(reservedSat(opened)).toBe(3_000_000);
    expect(agentState(opened, T0).walletBalanceSat).toBe(7_000_000);
    // cmd-a funded (requested after the balance event), cmd-b failed: only cmd-a's stays claimed.
    const resolved = [
      { message: requestedEvent('cmd-a', peer(1), 1_000_000, 1), sequence: 11 },
      { message: failedEvent('cmd-b', peer(2), 2_000_000, T0), sequence: 12 },
    ].reduce((s, e) => evolve(s, e), opened);
    expect(reservedSat(resolved)).toBe(1_000_000);
    // The gateway's next balance shows the funding spent: nothing is claimed twice any more.
    const rebalanced = evolve(resolved, { message: balanceEvent(9_000_000), sequence: 13 });
    expect(reservedSat(rebalanced)).toBe(0);
    expect(agentState(rebalanced, T0).walletBalanceSat).toBe(9_000_000);
  });
});
