import type { DataSource } from 'typeorm';
import { withDefaults, type PublishedState } from '../gateway/published-state.js';
import { PublishedNodeStateRow } from './entities.js';

/** PublishedStateStore keeps each node's last published state in the gateway's schema. */
export class PublishedStateStore {
  constructor(private readonly dataSource: DataSource) {}

  /** load returns what was last published about a node, or undefined for a node never published. */
  async load(nodeId: string): Promise<PublishedState | undefined> {
    const row = await this.dataSource.getRepository(PublishedNodeStateRow).findOneBy({ nodeId });
    return row === null ? undefined : withDefaults(row.state);
  }

  /** save records the state after its events were stored in JetStream (an upsert). */
  async save(nodeId: string, configId: string, state: PublishedState, at: Date): Promise<void> {
    await this.dataSource.getRepository(PublishedNodeStateRow).upsert({ nodeId, configId, state, updatedAt: at }, ['nodeId']);
  }
}
