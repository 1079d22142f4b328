import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { Topology } from '@lnfleet/contracts';
import { testInfrastructure } from './infrastructure.js';

/** uniqueName returns `prefix_<random>`, usable as a stream namespace, schema or durable name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** TestNats is a connection plus a topology whose streams and subjects belong to this test alone. */
export interface TestNats {
  readonly natsUrl: string;
  readonly connection: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly topology: Topology;
  /** cleanup deletes the test's streams (and the gateway's buckets in its namespace) and closes the connection. */
  cleanup(): Promise<void>;
}

/** testNats connects to the test NATS with a fresh namespace, so tests never share streams. */
export async function testNats(prefix = 't'): Promise<TestNats> {
  const { natsUrl } = await testInfrastructure();
  const connection = await connect({ servers: natsUrl.split(','), name: `test-${prefix}` });
  const jsm = await jetstreamManager(connection);
  const topology = new Topology({ namespace: uniqueName(prefix) });
  return {
    natsUrl,
    connection,
    js: jetstream(connection),
    jsm,
    topology,
    async cleanup() {
      for (const spec of Object.values(topology.streams())) {
        await jsm.streams.delete(spec.name).catch(() => false);
      }
      // The buckets the gateway creates in the namespace: graph snapshots and leases.
      for (const bucketStream of [`OBJ_${topology.graphSnapshotBucket()}`, `KV_${topology.gatewayLeaseBucket()}`]) {
        await jsm.streams.delete(bucketStream).catch(() => false);
      }
      await connection.close();
    },
  };
}
