import type { JetStreamClient } from '@nats-io/jetstream';
import type { Env } from '@lnfleet/config';
import { ConfigError } from '@lnfleet/config';
import { Pubkey, type Topology } from '@lnfleet/contracts';
import { loadChanfitnessConfig, type FitnessThresholds } from '@lnfleet/chanfitness/projection';
import { connectFleetNats } from '../connections.js';
import { NotFoundError, UsageError } from '../errors.js';
import { readAll } from '../stream-reader.js';
import { auditNode, type AuditReport } from './node-audit.js';

/** AuditRequest is what `lnfleet audit` was asked. */
export interface AuditRequest {
  readonly nodeId: string;
  readonly atMs: number;
}

/**
 * auditFromStreams reads a node's messages from the events and derived streams (ordered
 * consumers, start to current end) and folds them up to the instant. Throws NotFoundError when
 * the streams hold nothing about the node.
 */
export async function auditFromStreams(js: JetStreamClient, topology: Topology, request: AuditRequest, thresholds: FitnessThresholds): Promise<AuditReport> {
  const [events, derived] = await Promise.all([
    readAll(js, { stream: topology.streamName('events'), filterSubject: topology.nodeEvents(request.nodeId) }),
    readAll(js, { stream: topology.streamName('derived'), filterSubject: topology.derivedAbout(request.nodeId) }),
  ]);
  if (events.length === 0 && derived.length === 0) {
    throw new NotFoundError(`unknown node ${request.nodeId}: the streams ${topology.streamName('events')} and ${topology.streamName('derived')} hold nothing about it`);
  }
  return auditNode({ nodeId: request.nodeId, atMs: request.atMs, messages: [...events, ...derived], thresholds });
}

/** validNodeId checks a node id given on the command line (a compressed public key in hex). */
export function validNodeId(text: string): string {
  const parsed = Pubkey.safeParse(text);
  if (!parsed.success) throw new UsageError(`"${text}" is not a node id: expected a 33-byte compressed public key in lowercase hex (66 characters, starting 02 or 03)`);
  return parsed.data;
}

/** runAudit is `lnfleet audit`: connect as the services do, audit, disconnect. */
export async function runAudit(request: AuditRequest, env: Env): Promise<AuditReport> {
  let thresholds: FitnessThresholds;
  try {
    thresholds = loadChanfitnessConfig(env).thresholds;
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const nats = await connectFleetNats(env);
  try {
    return await auditFromStreams(nats.js, nats.topology, request, thresholds);
  } finally {
    await nats.close();
  }
}
