import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PublishedState } from '../gateway/published-state.js';
import type { OpenOutcome } from '../gateway/open-channel.js';

/**
 * PublishedNodeStateRow is what the gateway last published about one node (channels, online
 * peers, balance), written after each batch of events is stored in JetStream. On (re)connect the
 * node's real state is compared with it to publish what was missed.
 */
@Entity({ name: 'published_node_state' })
export class PublishedNodeStateRow {
  /** nodeId is the node's identity pubkey. */
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 66 })
  nodeId!: string;

  /** configId is the operator's name for the node (its entry in the gateway configuration). */
  @Column({ name: 'config_id', type: 'varchar', length: 64 })
  configId!: string;

  @Column({ name: 'state', type: 'jsonb' })
  state!: PublishedState;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/**
 * OpenChannelCommandRow records one OpenChannel command's execution: claimed ('started') before
 * the node is asked, 'done' with its outcome after. A command id that has a row is never sent to
 * the node again; that is what makes execution at-most-once across redeliveries, duplicates and
 * gateway restarts.
 */
@Entity({ name: 'open_channel_command' })
export class OpenChannelCommandRow {
  @PrimaryColumn({ name: 'command_id', type: 'varchar', length: 200 })
  commandId!: string;

  @Column({ name: 'node_id', type: 'varchar', length: 66 })
  nodeId!: string;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status!: 'started' | 'done';

  @Column({ name: 'outcome', type: 'jsonb', nullable: true })
  outcome!: OpenOutcome | null;

  /** channelPoint is the channel the command opened, so recovery never attributes one channel to two commands. */
  @Column({ name: 'channel_point', type: 'varchar', length: 80, nullable: true })
  channelPoint!: string | null;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
