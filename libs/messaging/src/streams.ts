import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { StreamSpec } from '@lnfleet/contracts';

/** StreamConflictError says an existing stream differs in a way that cannot be changed in place. */
export class StreamConflictError extends Error {
  override readonly name = 'StreamConflictError';
}

/**
 * ensureStreams creates the streams that do not exist and brings existing ones in line with their
 * spec. It is idempotent, so every service runs it at start and the order services start in does
 * not matter. Retention and storage cannot change on a live stream, nor can deny_delete/deny_purge
 * be lifted; a mismatch there is reported, not "fixed" by deleting data.
 */
export async function ensureStreams(jsm: JetStreamManager, specs: readonly StreamSpec[]): Promise<void> {
  for (const spec of specs) {
    await ensureStream(jsm, spec);
  }
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  const wanted = toStreamConfig(spec);
  let current: StreamConfig;
  try {
    current = (await jsm.streams.info(spec.name)).config;
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
    try {
      await jsm.streams.add(wanted);
    } catch (addError) {
      // Another replica may have created it between our info and add; that is fine if it matches.
      if (addError instanceof JetStreamApiError && (await streamExists(jsm, spec.name))) return ensureStream(jsm, spec);
      throw addError;
    }
    return;
  }
  if (current.retention !== wanted.retention || current.storage !== wanted.storage) {
    throw new StreamConflictError(
      `stream ${spec.name} exists with retention=${current.retention} storage=${current.storage}, ` +
        `but ${wanted.retention}/${wanted.storage} is required; migrate it by hand (these cannot change in place)`,
    );
  }
  // NATS can turn deny_delete/deny_purge on in place, but refuses to lift them.
  const lifted = [current.deny_delete && !wanted.deny_delete ? 'deny_delete' : '', current.deny_purge && !wanted.deny_purge ? 'deny_purge' : ''].filter((flag) => flag !== '');
  if (lifted.length > 0) {
    throw new StreamConflictError(
      `stream ${spec.name} exists with ${lifted.join(' and ')} set, but its spec allows ${lifted.length > 1 ? 'them' : 'it'}; ` +
        'NATS cannot lift these in place, so migrate it by hand',
    );
  }
  const drifted =
    current.max_age !== wanted.max_age ||
    current.duplicate_window !== wanted.duplicate_window ||
    current.deny_delete !== wanted.deny_delete ||
    current.deny_purge !== wanted.deny_purge ||
    current.num_replicas !== wanted.num_replicas ||
    current.description !== wanted.description ||
    [...current.subjects].sort().join(',') !== [...wanted.subjects].sort().join(',');
  if (drifted) {
    await jsm.streams.update(spec.name, {
      subjects: wanted.subjects,
      max_age: wanted.max_age,
      duplicate_window: wanted.duplicate_window,
      deny_delete: wanted.deny_delete,
      deny_purge: wanted.deny_purge,
      num_replicas: wanted.num_replicas,
      description: wanted.description,
    });
  }
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch {
    return false;
  }
}

/** toStreamConfig translates a spec into the server's stream configuration (durations in ns). */
export function toStreamConfig(spec: StreamSpec): StreamConfig {
  return {
    name: spec.name,
    subjects: [...spec.subjects],
    retention: spec.retention,
    storage: spec.storage,
    max_age: nanos(spec.maxAgeMs),
    duplicate_window: nanos(spec.duplicateWindowMs),
    deny_delete: spec.denyDelete,
    deny_purge: spec.denyPurge,
    num_replicas: spec.replicas,
    description: spec.description,
    discard: 'old',
    max_msgs: -1,
    max_bytes: -1,
    max_msg_size: -1,
    max_msgs_per_subject: -1,
    max_consumers: -1,
    allow_rollup_hdrs: false,
    allow_direct: false,
    mirror_direct: false,
    sealed: false,
  } as StreamConfig;
}
