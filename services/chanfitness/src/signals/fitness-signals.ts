import { createMessage, deterministicId, PeerFitnessChanged, type DerivedService, type Envelope } from '@lnfleet/contracts';
import {
  assessPeer,
  compareLogPosition,
  fitnessChange,
  type FitnessEvent,
  type FitnessThresholds,
  type EpochMs,
  type NodeFitness,
} from '../fitness/index.js';
import { statusKey, type EventRow, type FitnessEventStore, type SavedStatus, type StoredStatus } from '../projection/event-store.js';
import type { AppliedBatch, BatchListener, NodeState } from '../projection/fitness-projection.js';

/** DerivedPublisher publishes a derived event (JetStreamPublisher.publishDerived fits). */
export interface DerivedPublisher {
  publishDerived(service: DerivedService, message: Envelope): Promise<unknown>;
}

/**
 * FitnessSignals publishes PeerFitnessChanged when a peer crosses a fitness threshold. After each
 * written batch it judges every tracked peer an event of the batch is about (every peer of the
 * node for a snapshot), at the time of the newest such event, and compares the verdict with the
 * last one published for that peer. Peers of the batch's nodes that were last reported unfit are
 * judged again at the time of that report, so that a late event which changes the picture (say,
 * the missing disconnect that shows our own node was cut off) can clear them.
 *
 * Verdicts are taken at batch boundaries, so how often a peer that flips back and forth is
 * reported depends on batching (a replay in large batches may skip flips that were superseded),
 * but the last verdict for a peer does not: it is taken at the time of the peer's newest event
 * over the state holding all of its events, live or in a replay. A verdict is never taken before
 * the time of the last one.
 *
 * Delivery is at least once, like everything on the streams: the verdict is recorded only after
 * it was published, and the batch is acknowledged only after both, so a crash in between
 * publishes again on redelivery. Ids are deterministic (node, peer, time, reasons), so JetStream
 * drops such a repeat within the duplicate window and consumers can drop it after.
 */
export class FitnessSignals implements BatchListener<Map<string, StoredStatus>> {
  private published = 0;
  /**
   * recent holds the verdicts this instance saved lately, with the batch that saved them: a batch
   * is written (and its statuses read) while the one before is judged, so a read may predate the
   * verdicts of the batch or two judged just before it.
   */
  private readonly recent = new Map<string, { readonly status: StoredStatus; readonly batch: number }>();
  private batches = 0;

  constructor(
    private readonly store: FitnessEventStore,
    private readonly publisher: DerivedPublisher,
    private readonly thresholds: FitnessThresholds,
  ) {}

  /** publishedCount is how many PeerFitnessChanged events this instance published. */
  get publishedCount(): number {
    return this.published;
  }

  /** prepare reads the verdicts last published for the peers of these nodes (beside the batch's write). */
  prepare(nodeIds: readonly string[]): Promise<Map<string, StoredStatus>> {
    return this.store.statuses(nodeIds);
  }

  /** afterWrite judges the peers a written batch touched and publishes the verdicts that changed. */
  async afterWrite(batch: AppliedBatch, prepared: Map<string, StoredStatus>): Promise<void> {
    this.batches++;
    const stored = this.withRecent(prepared);
    const candidates = new Map<string, Candidate>();
    const newestByNode = new Map<string, EventRow>();
    for (const row of batch.events) {
      const node = batch.states.get(row.nodeId);
      if (node === undefined) continue;
      const newest = newestByNode.get(row.nodeId);
      if (newest === undefined || compareLogPosition(row, newest) > 0) newestByNode.set(row.nodeId, row);
      for (const peer of peersOf(row.event, node.state)) {
        if (!node.state.peers.has(peer)) continue;
        const key = statusKey(row.nodeId, peer);
        const seen = candidates.get(key);
        if (seen === undefined || seen.cause === null || compareLogPosition(row, seen.cause) > 0) {
          candidates.set(key, { nodeId: row.nodeId, peer, cause: row, at: row.at, state: node.state });
        }
      }
    }
    if (newestByNode.size === 0) return;
    const changedNodes = batch.changed;
    for (const [key, status] of stored) {
      const nodeId = key.slice(0, key.indexOf('/'));
      const peer = key.slice(key.indexOf('/') + 1);
      const node = batch.states.get(nodeId);
      const cause = newestByNode.get(nodeId);
      if (candidates.has(key) || status.reasons.length === 0 || !changedNodes.has(nodeId)) continue;
      if (node === undefined || cause === undefined || !node.state.peers.has(peer)) continue;
      candidates.set(key, { nodeId, peer, cause, at: status.evaluatedMs, state: node.state });
    }
    await this.publishChanges(candidates.values(), stored);
  }

  /**
   * rejudge judges every tracked peer of these nodes at `at` (a sweep's time: a peer that went
   * offline and stays silent has no event to be judged at) and publishes the verdicts that changed.
   * Peers last judged after `at` are left alone.
   */
  async rejudge(states: Iterable<NodeState>, at: EpochMs): Promise<number> {
    const nodes = [...states];
    const stored = this.withRecent(await this.store.statuses(nodes.map((node) => node.nodeId)));
    const candidates: Candidate[] = [];
    for (const { nodeId, state } of nodes) {
      for (const peer of state.peers.keys()) {
        const previous = stored.get(statusKey(nodeId, peer));
        if (previous === undefined || previous.evaluatedMs <= at) candidates.push({ nodeId, peer, cause: null, at, state });
      }
    }
    return this.publishChanges(candidates, stored);
  }

  /** publishChanges judges the candidates, publishes the verdicts that changed and records them. */
  private async publishChanges(candidates: Iterable<Candidate>, stored: ReadonlyMap<string, StoredStatus>): Promise<number> {
    const publications: Promise<SavedStatus>[] = [];
    for (const { nodeId, peer, cause, at, state } of candidates) {
      const previous = stored.get(statusKey(nodeId, peer));
      const now = Math.max(at, previous?.evaluatedMs ?? at);
      const change = fitnessChange(previous?.reasons ?? [], assessPeer(state, peer, now, this.thresholds), this.thresholds);
      if (change === null) continue;
      const id = deterministicId('PeerFitnessChanged', nodeId, peer, now, change.reasons.join('+'));
      const message = createMessage(PeerFitnessChanged, {
        id,
        nodeId,
        occurredAt: new Date(now).toISOString(),
        causationId: cause?.event.id ?? null,
        correlationId: cause?.event.correlationId ?? id,
        data: change,
      });
      publications.push(
        (async () => {
          await this.publisher.publishDerived('chanfitness', message);
          return { nodeId, peer, status: { reasons: change.reasons, evaluatedMs: now }, messageId: message.id };
        })(),
      );
    }
    const results = await Promise.allSettled(publications);
    // Record what was published, even when some publications failed (the batch then fails and comes back).
    const saved = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    await this.store.saveStatuses(saved);
    for (const { nodeId, peer, status } of saved) this.recent.set(statusKey(nodeId, peer), { status, batch: this.batches });
    this.published += saved.length;
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    return saved.length;
  }

  /** withRecent lays the verdicts saved in the last few batches over a prepared read. */
  private withRecent(prepared: Map<string, StoredStatus>): Map<string, StoredStatus> {
    for (const [key, { status, batch }] of this.recent) {
      // A read is prepared at most a couple of batches before it is judged (GroupCommit's maxWrites).
      if (this.batches - batch > 4) {
        this.recent.delete(key);
        continue;
      }
      const read = prepared.get(key);
      if (read === undefined || read.evaluatedMs < status.evaluatedMs) prepared.set(key, status);
    }
    return prepared;
  }
}

/** Candidate is a peer to judge: where, over which state, at what time, caused by what (null for a sweep). */
interface Candidate {
  readonly nodeId: string;
  readonly peer: string;
  readonly cause: EventRow | null;
  readonly at: number;
  readonly state: NodeFitness;
}

/** peersOf names the peers an event is about: its peer, or every tracked peer for a snapshot. */
function peersOf(event: FitnessEvent, state: NodeFitness): Iterable<string> {
  return event.type === 'NodeStateSnapshot' ? state.peers.keys() : [event.data.peer];
}
