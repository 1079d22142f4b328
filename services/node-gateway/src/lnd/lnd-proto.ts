import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { MethodDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';

/**
 * lnd's own gRPC definitions (lnrpc/lightning.proto), taken from the npm package `lightning`,
 * which ships them unchanged. The adapter and the test lnd server both load them from here, so
 * they speak exactly lnd's wire format.
 *
 * Loading options mirror what lnd's JSON and the `lightning` package use: snake_case field
 * names, 64-bit integers as decimal strings (a uint64 does not fit a JS number), enums by name,
 * every field present with its default, and the name of the set member of each oneof.
 */

/** LIGHTNING_SERVICE is the fully qualified name of lnd's main service. */
export const LIGHTNING_SERVICE = 'lnrpc.Lightning';

/** lndProtoPath is the path of lnd's lightning.proto inside the `lightning` package. */
export function lndProtoPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('lightning/package.json')), 'grpc', 'protos', 'lightning.proto');
}

let cached: PackageDefinition | undefined;

/** lndPackageDefinition loads lightning.proto once per process. */
export function lndPackageDefinition(): PackageDefinition {
  cached ??= loadSync(lndProtoPath(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  return cached;
}

/** LightningMethod names the lnd RPCs this project uses. */
export type LightningMethod =
  | 'GetInfo'
  | 'ListChannels'
  | 'PendingChannels'
  | 'ClosedChannels'
  | 'ListPeers'
  | 'ConnectPeer'
  | 'WalletBalance'
  | 'ChannelBalance'
  | 'OpenChannelSync'
  | 'DescribeGraph'
  | 'SubscribeChannelEvents'
  | 'SubscribePeerEvents'
  | 'SubscribeChannelBackups';

/** lightningService is lnd's Lightning service definition, keyed by RPC name. */
export function lightningService(): Record<string, MethodDefinition<object, object>> {
  const service = lndPackageDefinition()[LIGHTNING_SERVICE];
  if (service === undefined || 'format' in service) throw new Error(`${LIGHTNING_SERVICE} is missing from ${lndProtoPath()}`);
  return service;
}

/** lightningMethod is one RPC's definition (path, serializers). */
export function lightningMethod(name: LightningMethod): MethodDefinition<object, object> {
  const method = lightningService()[name];
  if (method === undefined) throw new Error(`lnd's Lightning service has no ${name} RPC in ${lndProtoPath()}`);
  return method;
}
