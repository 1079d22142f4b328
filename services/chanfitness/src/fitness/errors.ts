/**
 * Errors of the fitness core. Queries throw them; `evolve` never does, because an event that
 * refers to something unknown (a close for a channel restored from a static backup, say) is a
 * normal occurrence in a stream, not a failure.
 */

/** FitnessErrorCode names each kind of fitness error, for logs and API responses. */
export type FitnessErrorCode =
  | 'NODE_NOT_FOUND'
  | 'PEER_NOT_FOUND'
  | 'CHANNEL_NOT_FOUND'
  | 'CHANNEL_ALREADY_TRACKED'
  | 'INVALID_WINDOW';

/** FitnessError is the base class of every error the fitness core throws. */
export class FitnessError extends Error {
  /** code says which kind of error this is without an `instanceof` check. */
  readonly code: FitnessErrorCode;

  constructor(code: FitnessErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FitnessError';
    this.code = code;
  }
}

/**
 * NodeNotFoundError is thrown when a query names a node the fleet store has no fitness events for.
 * lnd has no such error (its store serves one node); a fleet service needs it so that a typo in a
 * node id reads differently from a peer the node never had a channel with.
 */
export class NodeNotFoundError extends FitnessError {
  /** nodeId is the public key that was asked for. */
  readonly nodeId: string;

  constructor(nodeId: string) {
    super('NODE_NOT_FOUND', `node ${nodeId} not found in fitness store`);
    this.name = 'NodeNotFoundError';
    this.nodeId = nodeId;
  }
}

/** PeerNotFoundError is thrown when a query names a peer the store does not track (lnd's ErrPeerNotFound). */
export class PeerNotFoundError extends FitnessError {
  /** peer is the public key that was asked for. */
  readonly peer: string;

  constructor(peer: string) {
    super('PEER_NOT_FOUND', `peer ${peer} not found in fitness store`);
    this.name = 'PeerNotFoundError';
    this.peer = peer;
  }
}

/** ChannelNotFoundError is thrown when a query names a channel the store does not track (lnd's ErrChannelNotFound). */
export class ChannelNotFoundError extends FitnessError {
  /** channelPoint is the funding outpoint that was asked for. */
  readonly channelPoint: string;

  constructor(channelPoint: string) {
    super('CHANNEL_NOT_FOUND', `channel ${channelPoint} not found in fitness store`);
    this.name = 'ChannelNotFoundError';
    this.channelPoint = channelPoint;
  }
}

/** ChannelAlreadyTrackedError is thrown when a channel is added to a peer log that already has it. */
export class ChannelAlreadyTrackedError extends FitnessError {
  /** channelPoint is the funding outpoint that was added twice. */
  readonly channelPoint: string;

  constructor(channelPoint: string) {
    super('CHANNEL_ALREADY_TRACKED', `channel ${channelPoint} is already tracked`);
    this.name = 'ChannelAlreadyTrackedError';
    this.channelPoint = channelPoint;
  }
}

/** InvalidWindowError is thrown when a time window is malformed: an end before its start, or an unset end. */
export class InvalidWindowError extends FitnessError {
  constructor(message: string) {
    super('INVALID_WINDOW', message);
    this.name = 'InvalidWindowError';
  }
}

/** isNodeNotFound reports whether `err` is a NodeNotFoundError. */
export function isNodeNotFound(err: unknown): err is NodeNotFoundError {
  return err instanceof NodeNotFoundError;
}

/** isPeerNotFound reports whether `err` is a PeerNotFoundError. */
export function isPeerNotFound(err: unknown): err is PeerNotFoundError {
  return err instanceof PeerNotFoundError;
}

/** isChannelNotFound reports whether `err` is a ChannelNotFoundError. */
export function isChannelNotFound(err: unknown): err is ChannelNotFoundError {
  return err instanceof ChannelNotFoundError;
}
