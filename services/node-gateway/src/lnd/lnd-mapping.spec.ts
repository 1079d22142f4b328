import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { channelPointOf, closedSummaryOf, forceClosingSummaryOf, commitmentTypeOf, describeRpcError, displayTxid, isConnectionError, LndProtocolError, openFailureKindOf, satOf } from './lnd-mapping.js';

const serviceError = (code: status, details: string): ServiceError => Object.assign(new Error(details), { code, details, metadata: new Metadata() });

describe('lnd message mapping', () => {
  it('shows txids in display order (lnd sends them byte-reversed) and writes channel points "txid:index"', () => {
    const internal = Buffer.alloc(32);
    internal[0] = 0xab;
    internal[31] = 0x01;
    const display = `01${'00'.repeat(30)}ab`;
    expect(displayTxid(internal)).toBe(display);
    expect(channelPointOf({ funding_txid_bytes: internal, output_index: 7, funding_txid: 'funding_txid_bytes' })).toBe(`${display}:7`);
    expect(channelPointOf({ funding_txid_str: display, output_index: 0, funding_txid: 'funding_txid_str' })).toBe(`${display}:0`);
    expect(() => displayTxid(Buffer.alloc(31))).toThrow(LndProtocolError);
  });

  it('reads int64 amounts and rejects what is not a satoshi amount', () => {
    expect(satOf('16777215', 'capacity')).toBe(16_777_215);
    expect(() => satOf('-1', 'capacity')).toThrow(/capacity is not a non-negative amount/);
    expect(() => satOf('9007199254740993', 'capacity')).toThrow(LndProtocolError);
  });

  it('maps a close without closing transaction to null, and lnd enums to the contract\'s', () => {
    const summary = closedSummaryOf({
      channel_point: `${'ab'.repeat(32)}:1`,
      chan_id: '0',
      closing_tx_hash: '0'.repeat(64),
      remote_pubkey: `02${'cd'.repeat(32)}`,
      capacity: '100000',
      close_height: 0,
      settled_balance: '0',
      close_type: 'FUNDING_CANCELED',
      open_initiator: 'INITIATOR_REMOTE',
      close_initiator: 'INITIATOR_UNKNOWN',
    }, true);
    expect(summary).toMatchObject({ closingTxid: null, closeType: 'FUNDING_CANCELED', openInitiator: 'REMOTE', closeInitiator: 'UNKNOWN', resolved: true });
    expect(commitmentTypeOf('SIMPLE_TAPROOT')).toBe('SIMPLE_TAPROOT');
    expect(commitmentTypeOf('SOME_FUTURE_TYPE')).toBe('UNKNOWN_COMMITMENT_TYPE');
  });

  it('describes a force close lnd is still resolving, telling local from remote by who initiated it', () => {
    const channel = { remote_node_pub: `02${'cd'.repeat(32)}`, channel_point: `${'ab'.repeat(32)}:0`, capacity: '500000', local_balance: '480000', remote_balance: '0', initiator: 'INITIATOR_LOCAL' as const, commitment_type: 'ANCHORS', private: false };
    const local = forceClosingSummaryOf({ channel: { ...channel, chan_status_flags: 'ChanStatusCommitBroadcasted|ChanStatusLocalCloseInitiator' }, closing_txid: 'ef'.repeat(32) });
    expect(local).toEqual({ channelPoint: channel.channel_point, chanId: '0', peer: channel.remote_node_pub, capacitySat: 500_000, closeType: 'LOCAL_FORCE_CLOSE', closingTxid: 'ef'.repeat(32), closeHeight: 0, settledBalanceSat: 480_000, openInitiator: 'LOCAL', closeInitiator: 'LOCAL', resolved: false });
    const remote = forceClosingSummaryOf({ channel: { ...channel, chan_status_flags: 'ChanStatusRemoteCloseInitiator' }, closing_txid: 'ef'.repeat(32) });
    expect(remote).toMatchObject({ closeType: 'REMOTE_FORCE_CLOSE', closeInitiator: 'REMOTE', resolved: false });
    expect(forceClosingSummaryOf({ channel: null, closing_txid: '' })).toBeNull();
  });

  it.each([
    ['not enough witness outputs to create funding transaction, need 0.01 BTC only have 0.001 BTC available', 'INSUFFICIENT_FUNDS'],
    ['peer 02ab is not online', 'PEER_UNREACHABLE'],
    ['dial tcp 198.51.100.1:9735: i/o timeout', 'PEER_UNREACHABLE'],
    ['received funding error from 02ab: chan size of 0.0002 BTC is below min chan size', 'REJECTED_BY_PEER'],
    ['channel funding aborted', 'NODE_ERROR'],
  ])('classifies the open refusal "%s" as %s', (message, kind) => {
    expect(openFailureKindOf(message)).toBe(kind);
  });

  it('says what to check for refused credentials and unreachable nodes', () => {
    const refused = serviceError(status.UNKNOWN, 'verification failed: signature mismatch after caveat verification');
    expect(isConnectionError(refused)).toBe(true);
    expect(describeRpcError('alice', '10.0.0.5:10009', 'GetInfo', refused)).toBe(
      'lnd node "alice" at 10.0.0.5:10009: GetInfo was refused for its macaroon (check macaroonPath: wrong node, wrong permissions or expired): verification failed: signature mismatch after caveat verification',
    );
    expect(describeRpcError('alice', '10.0.0.5:10009', 'GetInfo', serviceError(status.UNAVAILABLE, 'No connection established. Last error: Error: self-signed certificate'))).toMatch(/TLS handshake failed \(check certPath/);
    expect(describeRpcError('alice', '10.0.0.5:10009', 'ListPeers', serviceError(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED'))).toMatch(/ListPeers failed: node unreachable/);
    const answered = serviceError(status.UNKNOWN, 'peer 02ab is not online');
    expect(isConnectionError(answered)).toBe(false);
    expect(describeRpcError('alice', '10.0.0.5:10009', 'OpenChannelSync', answered)).toBe('lnd node "alice" at 10.0.0.5:10009: OpenChannelSync failed (UNKNOWN): peer 02ab is not online');
  });
});
