import type { MessageKind } from './envelope.js';
import { Pubkey } from './primitives.js';

/**
 * Stream and subject naming, in one place. Every subject and stream name is built here; services
 * never concatenate them. A namespace prefixes all names so several fleets (or test runs) share
 * one NATS account without their subjects overlapping.
 *
 * | stream      | subjects                                  | retention |
 * |-------------|-------------------------------------------|-----------|
 * | EVENTS      | `lnfleet.evt.<nodeId>.<Type>`             | limits, kept for audit, no delete/purge |
 * | COMMANDS    | `lnfleet.cmd.<nodeId>.<Type>`             | work queue |
 * | DERIVED     | `lnfleet.drv.<service>.<nodeId>.<Type>`   | limits |
 * | DEADLETTER  | `lnfleet.dlq.<service>.<sourceStream>`    | limits |
 *
 * On-demand queries are core NATS request/reply on `lnfleet.qry.<service>.<query>`, which no
 * stream captures: a question and its answer are not facts and are not stored.
 */

/** DerivedService names the services that publish derived facts (decisions, fitness, backups). */
export type DerivedService = 'autopilot' | 'chanfitness' | 'backup';

/** StreamRole names the four streams by purpose. */
export type StreamRole = 'events' | 'commands' | 'derived' | 'deadLetter';

/** StreamSpec is a stream's configuration in the server's terms (nats.js StreamConfig fields). */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: 'limits' | 'workqueue';
  readonly storage: 'file' | 'memory';
  /** maxAgeMs of 0 keeps messages forever. */
  readonly maxAgeMs: number;
  /** duplicateWindowMs is how long JetStream remembers message ids to drop re-publishes. */
  readonly duplicateWindowMs: number;
  readonly denyDelete: boolean;
  readonly denyPurge: boolean;
  readonly replicas: number;
  readonly description: string;
}

/** TopologyOptions tunes the streams; defaults suit one NATS server. */
export interface TopologyOptions {
  /** namespace prefixes every stream and subject; lowercase letters, digits and '_'. Default: none. */
  readonly namespace?: string;
  /** replicas per stream; 3 on a NATS cluster. Default 1. */
  readonly replicas?: number;
  /** eventsMaxAgeMs bounds the event log's age; 0 (default) keeps it forever for audits. */
  readonly eventsMaxAgeMs?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Topology builds every stream name and subject for one namespace. */
export class Topology {
  readonly namespace: string;
  private readonly subjectRoot: string;
  private readonly streamPrefix: string;
  private readonly replicas: number;
  private readonly eventsMaxAgeMs: number;

  constructor(options: TopologyOptions = {}) {
    const namespace = options.namespace ?? '';
    // Lowercase only: stream names are uppercased, so "a" and "A" would share streams but not subjects.
    if (namespace !== '' && !/^[a-z0-9_]{1,32}$/.test(namespace)) {
      throw new Error(`namespace "${namespace}" must be 1-32 characters of a-z 0-9 _`);
    }
    this.namespace = namespace;
    this.subjectRoot = namespace === '' ? 'lnfleet' : `${namespace}.lnfleet`;
    this.streamPrefix = namespace === '' ? 'LNFLEET' : `${namespace.toUpperCase()}_LNFLEET`;
    this.replicas = options.replicas ?? 1;
    this.eventsMaxAgeMs = options.eventsMaxAgeMs ?? 0;
  }

  /** streamName is the name of the stream playing a role. */
  streamName(role: StreamRole): string {
    const suffix = { events: 'EVENTS', commands: 'COMMANDS', derived: 'DERIVED', deadLetter: 'DEADLETTER' }[role];
    return `${this.streamPrefix}_${suffix}`;
  }

  /** nodeEventSubject is where the gateway publishes a fact about a node. */
  nodeEventSubject(nodeId: string, type: string): string {
    return `${this.subjectRoot}.evt.${nodeToken(nodeId)}.${typeToken(type)}`;
  }

  /** commandSubject is where a command to a node is published. */
  commandSubject(nodeId: string, type: string): string {
    return `${this.subjectRoot}.cmd.${nodeToken(nodeId)}.${typeToken(type)}`;
  }

  /** derivedSubject is where a service publishes what it derived about a node. */
  derivedSubject(service: DerivedService, nodeId: string, type: string): string {
    return `${this.subjectRoot}.drv.${service}.${nodeToken(nodeId)}.${typeToken(type)}`;
  }

  /** subjectFor picks the subject for a message by its kind (events from the gateway, commands). */
  subjectFor(message: { readonly nodeId: string; readonly type: string }, kind: MessageKind): string {
    return kind === 'command' ? this.commandSubject(message.nodeId, message.type) : this.nodeEventSubject(message.nodeId, message.type);
  }

  /** deadLetterSubject is where a consumer of `sourceStream` in `service` records rejected messages. */
  deadLetterSubject(service: string, sourceStream: string): string {
    return `${this.subjectRoot}.dlq.${typeToken(service)}.${typeToken(sourceStream)}`;
  }

  /**
   * querySubject is where `service` answers one kind of on-demand query over core NATS
   * request/reply (replicas share it as a queue group). No stream captures it.
   */
  querySubject(service: string, query: string): string {
    return `${this.subjectRoot}.qry.${typeToken(service)}.${typeToken(query)}`;
  }

  /** allNodeEvents filters every node fact; `nodeEvents(nodeId)` one node's. */
  allNodeEvents(): string {
    return `${this.subjectRoot}.evt.>`;
  }

  nodeEvents(nodeId: string): string {
    return `${this.subjectRoot}.evt.${nodeToken(nodeId)}.>`;
  }

  /** allCommands filters every command; `commandsOfType` one command type for all nodes. */
  allCommands(): string {
    return `${this.subjectRoot}.cmd.>`;
  }

  commandsOfType(type: string): string {
    return `${this.subjectRoot}.cmd.*.${typeToken(type)}`;
  }

  /** derivedBy filters everything one service derived. */
  derivedBy(service: DerivedService): string {
    return `${this.subjectRoot}.drv.${service}.>`;
  }

  /** derivedAbout filters everything any service derived about one node (decisions, fitness, backups). */
  derivedAbout(nodeId: string): string {
    return `${this.subjectRoot}.drv.*.${nodeToken(nodeId)}.*`;
  }

  /**
   * graphSnapshotBucket is the JetStream object store bucket (stream `OBJ_<bucket>`) holding the
   * public graph snapshots named by GraphSnapshotPublished events.
   */
  graphSnapshotBucket(): string {
    return `${this.streamPrefix}_GRAPH`;
  }

  /**
   * gatewayLeaseBucket is the JetStream KV bucket (stream `KV_<bucket>`) where node-gateway
   * replicas hold their leases: which one publishes the graph, which replica slots are taken.
   */
  gatewayLeaseBucket(): string {
    return `${this.streamPrefix}_GATEWAY_LEASES`;
  }

  /** streams lists the stream definitions services provision at start. */
  streams(): Record<StreamRole, StreamSpec> {
    return {
      events: {
        name: this.streamName('events'),
        subjects: [this.allNodeEvents()],
        retention: 'limits',
        storage: 'file',
        maxAgeMs: this.eventsMaxAgeMs,
        // Long enough to cover a gateway restart and re-subscription; consumers tolerate later copies.
        duplicateWindowMs: 2 * HOUR_MS,
        denyDelete: true,
        denyPurge: true,
        replicas: this.replicas,
        description: 'Facts observed on managed Lightning nodes (the audit log).',
      },
      commands: {
        name: this.streamName('commands'),
        subjects: [this.allCommands()],
        retention: 'workqueue',
        storage: 'file',
        maxAgeMs: 7 * DAY_MS,
        // Commands are rare and costly (they move funds): remember their ids for a day.
        duplicateWindowMs: DAY_MS,
        denyDelete: false,
        denyPurge: false,
        replicas: this.replicas,
        description: 'Commands to managed nodes; each is removed once the gateway acknowledges it.',
      },
      derived: {
        name: this.streamName('derived'),
        subjects: [`${this.subjectRoot}.drv.>`],
        retention: 'limits',
        storage: 'file',
        maxAgeMs: 0,
        duplicateWindowMs: 2 * HOUR_MS,
        denyDelete: true,
        denyPurge: false,
        replicas: this.replicas,
        description: 'Decisions, fitness changes and backup records derived by the services.',
      },
      deadLetter: {
        name: this.streamName('deadLetter'),
        subjects: [`${this.subjectRoot}.dlq.>`],
        retention: 'limits',
        storage: 'file',
        maxAgeMs: 90 * DAY_MS,
        duplicateWindowMs: 2 * HOUR_MS,
        denyDelete: false,
        denyPurge: false,
        replicas: this.replicas,
        description: 'Messages consumers rejected, with the reason, kept for inspection and replay.',
      },
    };
  }
}

function nodeToken(nodeId: string): string {
  if (!Pubkey.safeParse(nodeId).success) throw new Error(`node id "${nodeId}" is not a 33-byte compressed pubkey in hex`);
  return nodeId;
}

function typeToken(token: string): string {
  if (!SUBJECT_TOKEN.test(token)) throw new Error(`"${token}" cannot be a subject token (A-Z a-z 0-9 _ - only)`);
  return token;
}
