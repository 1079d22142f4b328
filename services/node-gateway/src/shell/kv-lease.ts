import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiCodes, JetStreamApiError, jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Topology } from '@lnfleet/contracts';
import type { SessionLogger } from './node-session.js';

/**
 * Leases in a JetStream KV bucket: one key per lease, whose value names the holder. Taking a free
 * lease and renewing a held one are compare-and-set writes on the key's revision (`create`,
 * `update(key, value, revision)`), so two replicas can never both think they wrote the last
 * value. The bucket's max_age is the lease's time to live: a holder that stops renewing (it died,
 * or lost NATS) loses the lease when its last write ages out, and another replica takes it. A
 * holder stops relying on its lease before that moment: it counts the lease valid only until
 * `ttl - margin` after it *sent* its last successful write, so it stops acting before the server
 * lets anyone else take over.
 */

/** LeaseRecord is what a lease's key holds. */
export interface LeaseRecord {
  /** holder is the holding process's instance id (random per start). */
  readonly holder: string;
  /** since is the KV revision at which this holder took the lease: the lower, the older the holding. */
  readonly since: number;
  /** detail says who the holder is for people and peers (replica index and count, host). */
  readonly detail: Readonly<Record<string, string | number>>;
}

/** LeaseBucket is the opened bucket and the time to live it enforces. */
export interface LeaseBucket {
  readonly kv: KV;
  /** ttlMs is the bucket's max_age: how long a lease outlives its last renewal. */
  readonly ttlMs: number;
}

/**
 * openLeaseBucket creates (or opens) the gateway's lease bucket with the configured stream
 * replicas. An existing bucket keeps the time to live it was created with; that one is returned.
 */
export async function openLeaseBucket(connection: NatsConnection, topology: Topology, options: { readonly replicas: number; readonly ttlMs: number }): Promise<LeaseBucket> {
  const kv = await new Kvm(jetstream(connection)).create(topology.gatewayLeaseBucket(), {
    history: 1,
    ttl: options.ttlMs,
    replicas: options.replicas,
    description: 'node-gateway leases: the graph publisher, the replica slots (value: holder, since, detail)',
  });
  const status = await kv.status();
  return { kv, ttlMs: status.ttl > 0 ? status.ttl : options.ttlMs };
}

/** newInstanceId names one start of a gateway process. */
export function newInstanceId(): string {
  return randomUUID();
}

/** LeaseView is a lease's state after a refresh: whether this instance holds it, and who does. */
export interface LeaseView {
  readonly held: boolean;
  /** holder is the current holder's record, or null when nobody holds the lease. */
  readonly holder: LeaseRecord | null;
}

/**
 * KvLease is one lease as seen by one instance. `refresh()` renews it when held, otherwise takes
 * it when it is free; call it every `renewEveryMs`. `held` turns false by itself once the last
 * successful renewal is too old, even if NATS cannot be reached to find out more.
 */
export class KvLease {
  private revision: number | undefined;
  private since: number | undefined;
  private validUntil = 0;

  constructor(
    private readonly bucket: LeaseBucket,
    readonly key: string,
    readonly instance: string,
    private readonly detail: Readonly<Record<string, string | number>>,
    /** monotonic is a clock that does not jump (performance.now by default). */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** renewEveryMs is how often to refresh: four times per time to live. */
  get renewEveryMs(): number {
    return Math.max(100, Math.floor(this.bucket.ttlMs / 4));
  }

  /** held says whether this instance may act as the holder now. */
  get held(): boolean {
    return this.revision !== undefined && this.monotonic() < this.validUntil;
  }

  /** record is this instance's value for the key. */
  private value(since: number): Uint8Array {
    const record: LeaseRecord = { holder: this.instance, since, detail: this.detail };
    return new TextEncoder().encode(JSON.stringify(record));
  }

  /**
   * refresh renews the lease if this instance holds it, else takes it if it is free. It rejects
   * only when NATS cannot be asked (the lease then stays valid until its margin runs out).
   */
  async refresh(): Promise<LeaseView> {
    const sentAt = this.monotonic();
    if (this.revision !== undefined && this.since !== undefined) {
      try {
        this.revision = await this.bucket.kv.update(this.key, this.value(this.since), this.revision);
        this.renewed(sentAt);
        return { held: true, holder: { holder: this.instance, since: this.since, detail: this.detail } };
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
        // Someone wrote after us: our last write had aged out and the lease was taken.
        this.lost();
      }
    }
    const entry = await this.bucket.kv.get(this.key);
    if (entry === null || entry.operation !== 'PUT') {
      try {
        // create() writes only if the key has no value; a deleted key is taken over at its revision.
        const revision = entry === null ? await this.bucket.kv.create(this.key, this.value(0)) : await this.bucket.kv.update(this.key, this.value(0), entry.revision);
        // Record the revision we took it at, so that peers can tell older holdings from newer.
        this.since = revision;
        this.revision = await this.bucket.kv.update(this.key, this.value(revision), revision);
        this.renewed(sentAt);
        return { held: true, holder: { holder: this.instance, since: revision, detail: this.detail } };
      } catch (error) {
        if (!isWrongRevision(error)) throw error;
        this.lost();
        const winner = await this.bucket.kv.get(this.key);
        return { held: false, holder: winner === null || winner.operation !== 'PUT' ? null : decodeRecord(winner.value) };
      }
    }
    const record = decodeRecord(entry.value);
    if (record !== null && record.holder === this.instance && record.since > 0) {
      // Our own write whose answer we missed (a timeout): it is ours.
      this.since = record.since;
      this.revision = entry.revision;
      return this.refresh();
    }
    return { held: false, holder: record };
  }

  /** release gives the lease up at once (only if this instance still holds it), so a successor need not wait for it to age out. */
  async release(): Promise<void> {
    const revision = this.revision;
    this.lost();
    if (revision === undefined) return;
    try {
      await this.bucket.kv.delete(this.key, { previousSeq: revision });
    } catch (error) {
      if (!isWrongRevision(error)) throw error;
    }
  }

  private renewed(sentAt: number): void {
    // Valid until a margin before the server could let the write age out: a fifth of the time to live.
    this.validUntil = sentAt + this.bucket.ttlMs - Math.ceil(this.bucket.ttlMs / 5);
  }

  private lost(): void {
    this.revision = undefined;
    this.since = undefined;
    this.validUntil = 0;
  }
}

/**
 * LeaseKeeper keeps refreshing one lease in the background (renewing it while held, taking it when
 * free) and logs when it is taken, lost or held by another instance. stop() releases it.
 */
export class LeaseKeeper {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private lastHolder: string | null | undefined;
  private lastHeld = false;

  constructor(
    readonly lease: KvLease,
    private readonly logger: SessionLogger,
    /** what names the lease in log lines ("the graph publisher lease"). */
    private readonly what: string,
    /** eligible says whether this instance should hold the lease now; when not, it does not take it and gives it up. */
    private readonly eligible: () => boolean = () => true,
  ) {}

  /** held says whether this instance holds the lease now. */
  get held(): boolean {
    return this.lease.held;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** stop ends the renewals and releases the lease, so that another instance can take it at once. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.lease.release().catch((error: unknown) => {
      this.logger.warn(`${this.what}: release failed (it ages out instead): ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped()) {
      try {
        if (!this.eligible()) {
          if (this.lease.held) this.logger.log(`${this.what}: given up (nothing to do it with here)`);
          await this.lease.release();
          this.lastHeld = false;
          await sleep(this.lease.renewEveryMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
          continue;
        }
        const view = await this.lease.refresh();
        const holder = view.holder?.holder ?? null;
        if (view.held && !this.lastHeld) this.logger.log(`${this.what}: taken by this instance (${this.lease.instance})`);
        if (!view.held && this.lastHeld) this.logger.warn(`${this.what}: lost to ${holder ?? 'nobody'}`);
        if (!view.held && holder !== this.lastHolder && holder !== null) this.logger.log(`${this.what}: held by ${holder} (${JSON.stringify(view.holder?.detail ?? {})})`);
        this.lastHeld = view.held;
        this.lastHolder = holder;
      } catch (error) {
        if (this.stopped()) break;
        this.logger.warn(`${this.what}: cannot refresh (${this.lease.held ? 'still valid for now' : 'not held'}): ${error instanceof Error ? error.message : String(error)}`);
        this.lastHeld = this.lease.held;
      }
      await sleep(this.lease.renewEveryMs, undefined, { signal: this.abort.signal }).catch(() => undefined);
    }
  }
}

/** readLeases lists the live leases whose keys start with `prefix`. */
export async function readLeases(bucket: LeaseBucket, prefix: string): Promise<Map<string, LeaseRecord & { readonly revision: number }>> {
  const found = new Map<string, LeaseRecord & { readonly revision: number }>();
  const keys: string[] = [];
  for await (const key of await bucket.kv.keys(`${prefix}>`)) keys.push(key);
  for (const key of keys) {
    const entry = await bucket.kv.get(key);
    if (entry === null || entry.operation !== 'PUT') continue;
    const record = decodeRecord(entry.value);
    // A lease just taken has since 0 until its holder's second write: its revision is since.
    if (record !== null) found.set(key, { ...record, since: record.since > 0 ? record.since : entry.revision, revision: entry.revision });
  }
  return found;
}

function decodeRecord(bytes: Uint8Array): LeaseRecord | null {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { holder?: unknown; since?: unknown; detail?: unknown };
    if (typeof parsed.holder !== 'string' || typeof parsed.since !== 'number' || typeof parsed.detail !== 'object' || parsed.detail === null) return null;
    return { holder: parsed.holder, since: parsed.since, detail: parsed.detail as Record<string, string | number> };
  } catch {
    return null;
  }
}

function isWrongRevision(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}
