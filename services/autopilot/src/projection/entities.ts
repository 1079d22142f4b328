/**
 * TypeORM entities of the autopilot projection, one table per record kind of
 * {@link NodeProjection}, in the service's own schema. Every row carries the stream sequence
 * (`seq`) of the event that last changed it. The tables are created by the migrations, never
 * synchronised from these classes.
 */
import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';
import type { AutopilotConstraints, HeuristicWeights } from '@lnfleet/contracts';
import type { ChannelStatus, PendingOpenStatus } from './node-projection.js';

/** bigintNumber maps a PostgreSQL bigint (read as a string by pg) to a JavaScript number. */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/** epochMillis maps a timestamptz column to milliseconds since the epoch. */
export const epochMillis: ValueTransformer = {
  to: (value: number | null | undefined) => (value === null || value === undefined ? value : new Date(value)),
  from: (value: Date | null) => (value === null ? null : value.getTime()),
};

/** AutopilotNodeRow is one managed node: its revision and latest balance. */
@Entity({ name: 'autopilot_node' })
export class AutopilotNodeRow {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId!: string;

  /** revision grows with every change to the node's projection. */
  @Column({ type: 'bigint', transformer: bigintNumber })
  revision!: number;

  @Column({ name: 'confirmed_sat', type: 'bigint', nullable: true, transformer: bigintNumber })
  confirmedSat!: number | null;

  @Column({ name: 'unconfirmed_sat', type: 'bigint', nullable: true, transformer: bigintNumber })
  unconfirmedSat!: number | null;

  @Column({ name: 'locked_sat', type: 'bigint', nullable: true, transformer: bigintNumber })
  lockedSat!: number | null;

  /** balanceSeq is the events-stream sequence of the balance, null before any. */
  @Column({ name: 'balance_seq', type: 'bigint', nullable: true, transformer: bigintNumber })
  balanceSeq!: number | null;
}

/** AutopilotPolicyRow is the policy in force for one node (sequence on the derived stream). */
@Entity({ name: 'autopilot_policy' })
export class AutopilotPolicyRow {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId!: string;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  @Column({ name: 'dry_run', type: 'boolean' })
  dryRun!: boolean;

  @Column({ type: 'jsonb' })
  constraints!: AutopilotConstraints;

  @Column({ type: 'jsonb' })
  heuristics!: HeuristicWeights;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq!: number;
}

/** AutopilotChannelRow is one of a node's channels (closed ones stay, as tombstones). */
@Entity({ name: 'autopilot_channel' })
export class AutopilotChannelRow {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId!: string;

  @PrimaryColumn({ name: 'channel_point', type: 'text' })
  channelPoint!: string;

  @Column({ type: 'text' })
  peer!: string;

  @Column({ name: 'capacity_sat', type: 'bigint', transformer: bigintNumber })
  capacitySat!: number;

  @Column({ name: 'local_balance_sat', type: 'bigint', transformer: bigintNumber })
  localBalanceSat!: number;

  @Column({ type: 'text' })
  status!: ChannelStatus;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq!: number;
}

/** AutopilotPendingOpenRow is one OpenChannel command the autopilot sent, or an outcome it saw. */
@Entity({ name: 'autopilot_pending_open' })
export class AutopilotPendingOpenRow {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId!: string;

  @PrimaryColumn({ name: 'command_id', type: 'text' })
  commandId!: string;

  @Column({ type: 'text' })
  peer!: string;

  @Column({ name: 'amount_sat', type: 'bigint', transformer: bigintNumber })
  amountSat!: number;

  @Column({ name: 'expires_at', type: 'timestamptz', transformer: epochMillis })
  expiresAt!: number;

  @Column({ type: 'text' })
  status!: PendingOpenStatus;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq!: number;
}

/** AutopilotFailureRow is a peer an open to which failed, and until when it is skipped. */
@Entity({ name: 'autopilot_failure' })
export class AutopilotFailureRow {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId!: string;

  @PrimaryColumn({ type: 'text' })
  peer!: string;

  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ name: 'failed_until', type: 'timestamptz', transformer: epochMillis })
  failedUntil!: number;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq!: number;
}

/** AutopilotPeerFitnessRow is chanfitness's latest verdict on a node's peer. */
@Entity({ name: 'autopilot_peer_fitness' })
export class AutopilotPeerFitnessRow {
  @PrimaryColumn({ name: 'node_id', type: 'text' })
  nodeId!: string;

  @PrimaryColumn({ type: 'text' })
  peer!: string;

  @Column({ type: 'boolean' })
  fit!: boolean;

  @Column({ type: 'bigint', transformer: bigintNumber })
  seq!: number;
}

/** PROJECTION_ENTITIES lists the entities for the service's DataSource. */
export const PROJECTION_ENTITIES = [
  AutopilotNodeRow,
  AutopilotPolicyRow,
  AutopilotChannelRow,
  AutopilotPendingOpenRow,
  AutopilotFailureRow,
  AutopilotPeerFitnessRow,
];
