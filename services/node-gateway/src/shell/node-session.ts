import { setTimeout as sleep } from 'node:timers/promises';
import type { KnownMessage } from '@lnfleet/contracts';
import { evolvePublished, initialPublishedState, withKnownChanId, type PublishedState } from '../gateway/published-state.js';
import { reconcile, type CurrentNodeState } from '../gateway/reconcile.js';
import { translateNotification } from '../gateway/translate.js';
import type { LightningNode, NodeNotification } from '../node/lightning-node.js';

/** SessionStatus is a node connection's state, as the health endpoint reports it. */
export type SessionStatus = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** PublishedStateStorage persists what was published per node (PublishedStateStore in production). */
export interface PublishedStateStorage {
  load(nodeId: string): Promise<PublishedState | undefined>;
  save(nodeId: string, configId: string, state: PublishedState, at: Date): Promise<void>;
}

/** SessionLogger is where a session reports; it never receives credentials. */
export interface SessionLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** SessionDeps are a session's collaborators. */
export interface SessionDeps {
  /** publish stores one event in JetStream, retrying while NATS is down; it rejects only on abort. */
  publish(message: KnownMessage, signal: AbortSignal): Promise<void>;
  readonly store: PublishedStateStorage;
  /** now is the gateway's clock (the simulated clock for a simulated fleet). */
  now(): number;
  readonly logger: SessionLogger;
  /** reconnectDelayMs is the wait before reconnect attempt `n` (1-based). Default: 1 s doubling to 30 s. */
  reconnectDelayMs?(attempt: number): number;
  /** onConnected is told after every completed (re)connect. */
  onConnected?(nodeId: string): void;
}

/**
 * NodeSession keeps one node's facts flowing to JetStream. On every (re)connect it subscribes
 * first (so nothing that happens during the catch-up is lost), reads the node's state, publishes
 * what was missed since the last published state and a NodeStateSnapshot, then publishes each
 * notification in order. After each batch it persists the published state. If the node's stream
 * drops or a query fails, it reconnects with backoff. Publishing retries while NATS is down, so
 * the session holds notifications in memory (in order) until NATS takes them.
 */
export class NodeSession {
  private currentStatus: SessionStatus = 'connecting';
  private identity: string | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private connects = 0;
  private unpublished = 0;

  constructor(
    /** configId is the operator's name for the node. */
    readonly configId: string,
    readonly node: LightningNode,
    private readonly deps: SessionDeps,
  ) {}

  /** status is the connection state now. */
  get status(): SessionStatus {
    return this.currentStatus;
  }

  /** nodeId is the node's identity pubkey, known after the first successful getInfo. */
  get nodeId(): string | undefined {
    return this.identity;
  }

  /** connectCount is how many times the session completed a (re)connect with reconciliation. */
  get connectCount(): number {
    return this.connects;
  }

  /**
   * backlog is how many of the node's notifications on the current connection are not yet
   * published and saved: 0 means everything the node reported has reached the stream (a test or
   * tool waits for it to know the gateway has caught up with the node).
   */
  get backlog(): number {
    return this.unpublished;
  }

  /** start begins connecting; it returns at once. */
  start(): void {
    this.loop ??= this.run();
  }

  /** stop ends the session: the subscription closes and pending retries stop. Unpublished notifications are left to the next start's reconciliation. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('node session stopped'));
    this.wake?.();
    await this.loop;
    this.currentStatus = 'stopped';
  }

  /** stopped is a method, not a getter, so that loops re-read it after every await. */
  private stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopped(); ) {
      const connectsBefore = this.connects;
      await this.connectOnce().catch((error: unknown) => {
        if (!this.stopped()) this.deps.logger.warn(`node ${this.configId}: ${error instanceof Error ? error.message : String(error)}; reconnecting`);
      });
      if (this.stopped()) break;
      // A connection that got as far as reconciling resets the backoff; repeated failures grow it.
      attempt = this.connects > connectsBefore ? 1 : attempt + 1;
      this.currentStatus = 'disconnected';
      const delay = this.deps.reconnectDelayMs?.(attempt) ?? Math.min(30_000, 1_000 * 2 ** (attempt - 1));
      await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
    this.currentStatus = 'stopped';
  }

  /** connectOnce runs one connection until the stream drops (true) or the session stops (false). */
  private async connectOnce(): Promise<boolean> {
    this.currentStatus = 'connecting';
    const queue: NodeNotification[] = [];
    // A new connection's reconciliation covers whatever an earlier one left unpublished.
    this.unpublished = 0;
    const subscription = this.node.subscribe((notification) => {
      queue.push(notification);
      this.unpublished++;
      this.wake?.();
    });
    try {
      const current = await this.readState();
      const nodeId = current.info.identityPubkey;
      if (this.identity !== undefined && this.identity !== nodeId) {
        throw new Error(`node identity changed from ${this.identity} to ${nodeId}; refusing to mix their facts`);
      }
      this.identity = nodeId;
      let state = (await this.deps.store.load(nodeId)) ?? initialPublishedState();
      const plan = reconcile(nodeId, state, current, this.deps.now());
      if (plan.unexplained.length > 0) {
        this.deps.logger.warn(`node ${this.configId}: channels ${plan.unexplained.join(', ')} vanished without a close record; the snapshot omits them`);
      }
      for (const event of [...plan.missed, plan.snapshot]) {
        await this.deps.publish(event, this.abort.signal);
        state = evolvePublished(state, event);
      }
      await this.deps.store.save(nodeId, this.configId, state, new Date(this.deps.now()));
      this.currentStatus = 'connected';
      this.connects++;
      this.deps.onConnected?.(nodeId);
      if (plan.missed.length > 0) this.deps.logger.log(`node ${this.configId}: published ${plan.missed.length} missed channel event(s) on connect`);
      for (;;) {
        if (this.stopped()) return false;
        if (queue.length === 0) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
          this.wake = undefined;
          continue;
        }
        const batch = queue.splice(0);
        let dropped = false;
        for (const notification of batch) {
          if (notification.type === 'streamDropped') {
            this.deps.logger.warn(`node ${this.configId}: stream dropped (${notification.reason})`);
            dropped = true;
            break;
          }
          // A close lnd reports without short channel id gets the one the channel was announced with.
          const known = notification.type === 'channelClosed' ? { ...notification, channel: withKnownChanId(notification.channel, state) } : notification;
          for (const event of translateNotification(nodeId, known)) {
            await this.deps.publish(event, this.abort.signal);
            state = evolvePublished(state, event);
          }
        }
        await this.deps.store.save(nodeId, this.configId, state, new Date(this.deps.now()));
        this.unpublished -= batch.length;
        if (dropped) return true;
      }
    } finally {
      subscription.close();
    }
  }

  /**
   * readState reads the node. The channel queries run one after another in the order a channel
   * moves (pending, open, closing, closed), so a channel that moves on while they run is seen at
   * least once (perhaps twice), never in none of them.
   */
  private async readState(): Promise<CurrentNodeState> {
    const others = Promise.all([this.node.getInfo(), this.node.onlinePeers(), this.node.walletBalance()]);
    const channels = (async () => {
      const pendingChannels = await this.node.pendingChannels();
      const openChannels = await this.node.listChannels();
      const closingChannels = await this.node.closingChannels();
      const closedChannels = await this.node.closedChannels();
      return { pendingChannels, openChannels, closingChannels, closedChannels };
    })();
    const [[info, onlinePeers, balance], read] = await Promise.all([others, channels]);
    return { info, onlinePeers, balance, ...read };
  }
}
