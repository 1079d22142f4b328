import { setTimeout as sleep } from 'node:timers/promises';
import type { ShardConfig } from '../config/gateway-config.js';
import { contestedNodes, describeClaim, disagreeing, type ReplicaClaim } from '../gateway/ownership.js';
import { KvLease, readLeases, type LeaseBucket, type LeaseRecord } from './kv-lease.js';
import type { SessionLogger } from './node-session.js';

/** REPLICA_SLOT_PREFIX starts the lease key of each replica slot (`replica.<index>`). */
export const REPLICA_SLOT_PREFIX = 'replica.';

/** OwnershipHooks are what ShardOwnership asks of the fleet. */
export interface OwnershipHooks {
  /** serve starts serving a node (no-op when already served). */
  serve(configId: string): void;
  /** release stops serving a node (no-op when not served). */
  release(configId: string): Promise<void>;
}

/**
 * ShardOwnership decides which of this replica's nodes (its rendezvous share under its
 * NODE_GATEWAY_REPLICAS) it may serve right now, so that no node is ever served by two replicas,
 * even when replicas run with different replica counts (a rollout of a new count, or a
 * misconfiguration):
 * - the replica holds the lease of its slot `replica.<index>` in the gateway's KV bucket; a
 *   second live process with the same index gets no slot and serves nothing;
 * - after taking its slot it reads every live slot; a node that an older slot holder also claims
 *   under its own replica count is refused here (health: not-owner, with who serves it) until
 *   that holder is gone;
 * - when the slot lease cannot be renewed in time (NATS lost), every session stops before the
 *   lease could age out and another replica take the nodes.
 */
export class ShardOwnership {
  private readonly lease: KvLease;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly blocked = new Map<string, string>();
  private conflictText: string[] = [];
  private slotProblem: string | undefined;
  private serving = false;

  constructor(
    private readonly bucket: LeaseBucket,
    private readonly instance: string,
    private readonly shard: ShardConfig,
    private readonly host: string,
    private readonly configIds: readonly string[],
    private readonly hooks: OwnershipHooks,
    private readonly logger: SessionLogger,
  ) {
    this.lease = new KvLease(bucket, `${REPLICA_SLOT_PREFIX}${shard.index}`, instance, { replicaIndex: shard.index, replicas: shard.replicas, host });
  }

  /** blockedReason says why a node is not served here (another replica serves it), or undefined. */
  blockedReason(configId: string): string | undefined {
    return this.slotProblem ?? this.blocked.get(configId);
  }

  /** conflicts describe live replicas started with another replica count. */
  get conflicts(): readonly string[] {
    return this.conflictText;
  }

  start(): void {
    this.loop ??= this.run();
    // Between renewals, stop serving the moment the lease stops being valid.
    this.watchdog = setInterval(() => {
      if (this.serving && !this.lease.held) void this.releaseAll('the replica slot lease could not be renewed in time');
    }, Math.max(50, Math.floor(this.bucket.ttlMs / 10)));
    this.watchdog.unref();
  }

  /** stop ends the checks and gives the slot up; the caller has stopped the sessions first. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.watchdog !== undefined) clearInterval(this.watchdog);
    await this.loop;
    await this.lease.release().catch((error: unknown) => {
      this.logger.warn(`replica slot ${this.shard.index}: release failed (it ages out instead): ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped()) {
      try {
        await this.check();
      } catch (error) {
        if (this.stopped()) break;
        this.logger.warn(`replica slot ${this.shard.index}: cannot check ownership: ${error instanceof Error ? error.message : String(error)}`);
        if (!this.lease.held) await this.releaseAll('the replica slot lease could not be renewed');
      }
      await sleep(this.lease.renewEveryMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }

  /** check renews the slot, reads the other slots, and starts or stops sessions accordingly. */
  private async check(): Promise<void> {
    const view = await this.lease.refresh();
    if (this.stopped()) return;
    if (!view.held) {
      const other = view.holder === null ? 'another gateway' : describeRecord(view.holder);
      const problem = `replica slot ${this.shard.index} is held by another live gateway, ${other}: two replicas with the same NODE_GATEWAY_REPLICA_INDEX, or a replica that is still stopping; serving nothing until the slot is free`;
      if (problem !== this.slotProblem) this.logger.error(problem);
      this.slotProblem = problem;
      await this.releaseAll(problem);
      return;
    }
    this.slotProblem = undefined;
    const me: ReplicaClaim = { holder: this.instance, index: this.shard.index, replicas: this.shard.replicas, since: view.holder?.since ?? 0, host: this.host };
    const peers = [...(await readLeases(this.bucket, REPLICA_SLOT_PREFIX)).values()].flatMap((record) => {
      const claim = claimOf(record);
      return claim === null ? [] : [claim];
    });
    const contested = contestedNodes(me, peers, this.configIds);
    const conflicts = disagreeing(me, peers).map(
      (peer) =>
        `${describeClaim(peer)} runs with NODE_GATEWAY_REPLICAS=${peer.replicas}, this ${describeClaim(me)} with ${me.replicas}: ` +
        `${peer.since < me.since ? 'it is older and keeps the nodes both claim' : 'this one is older and keeps the nodes both claim'}; restart every replica with one value`,
    );
    if (conflicts.join('\n') !== this.conflictText.join('\n')) for (const conflict of conflicts) this.logger.error(conflict);
    this.conflictText = conflicts;
    // Reading the peers took long enough for the slot to need renewing first: start nothing now.
    if (!this.lease.held) return;
    for (const configId of this.configIds) {
      const owner = contested.get(configId);
      if (owner === undefined) {
        this.blocked.delete(configId);
        this.hooks.serve(configId);
        continue;
      }
      const reason = `served by ${describeClaim(owner)}, started with NODE_GATEWAY_REPLICAS=${owner.replicas} (this replica: ${me.replicas}); not served here until it stops`;
      if (this.blocked.get(configId) !== reason) this.logger.warn(`node ${configId}: ${reason}`);
      this.blocked.set(configId, reason);
      await this.hooks.release(configId);
    }
    this.serving = true;
  }

  private async releaseAll(reason: string): Promise<void> {
    if (this.serving) this.logger.warn(`stopping every node session: ${reason}`);
    this.serving = false;
    for (const configId of this.configIds) await this.hooks.release(configId);
  }
}

function claimOf(record: LeaseRecord): ReplicaClaim | null {
  const { replicaIndex, replicas, host } = record.detail;
  if (typeof replicaIndex !== 'number' || typeof replicas !== 'number') return null;
  return { holder: record.holder, index: replicaIndex, replicas, since: record.since, host: typeof host === 'string' ? host : 'unknown' };
}

function describeRecord(record: LeaseRecord): string {
  const claim = claimOf(record);
  return claim === null ? `instance ${record.holder}` : describeClaim(claim);
}
