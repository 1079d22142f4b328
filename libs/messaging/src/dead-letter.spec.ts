import { MsgHdrsImpl, type MsgHdrs } from '@nats-io/nats-core';
import { DeadLetterHeaders, deadLetterHeaders, readDeadLetter, type DeadLetter } from './dead-letter.js';

const payload = new TextEncoder().encode('{"not":"a valid message"');

const letter: DeadLetter = {
  sourceStream: 'T_1_LNFLEET_EVENTS',
  sourceSequence: 9_007_199_254_740_000,
  sourceSubject: 't_1.lnfleet.evt.02aa.PeerOnline',
  consumer: 'chanfitness-events',
  reason: 'handler-failed',
  error: 'Error: database is down',
  deliveries: 10,
  payload,
};

/** onTheWire encodes headers as NATS sends them and decodes them as a subscriber or getMessage reads them. */
function onTheWire(headers: MsgHdrs): MsgHdrs {
  if (!(headers instanceof MsgHdrsImpl)) throw new Error('expected nats-core headers');
  return MsgHdrsImpl.decode(headers.encode());
}

function headersOf({ payload: _payload, ...origin }: DeadLetter): MsgHdrs {
  return deadLetterHeaders(origin);
}

describe('dead-letter headers', () => {
  it('round-trips through `headers`, as a consumed JsMsg has them', () => {
    expect(readDeadLetter({ headers: headersOf(letter), data: payload })).toEqual(letter);
  });

  it('round-trips through `header`, as a StoredMsg from getMessage has them', () => {
    expect(readDeadLetter({ header: headersOf(letter), data: payload })).toEqual(letter);
  });

  it('round-trips through the wire encoding', () => {
    const decoded = onTheWire(headersOf(letter));
    expect(readDeadLetter({ headers: decoded, data: payload })).toEqual(letter);
    expect(readDeadLetter({ header: decoded, data: payload })).toEqual(letter);
  });

  it.each(['undecodable', 'handler-failed', 'delivery-limit'] as const)('keeps the reason %s', (reason) => {
    expect(readDeadLetter({ headers: onTheWire(headersOf({ ...letter, reason })), data: payload }).reason).toBe(reason);
  });

  it('prefers `headers` when a message has both shapes', () => {
    const other = headersOf({ ...letter, consumer: 'other' });
    expect(readDeadLetter({ headers: headersOf(letter), header: other, data: payload }).consumer).toBe(letter.consumer);
    expect(readDeadLetter({ headers: undefined, header: other, data: payload }).consumer).toBe('other');
  });

  it('keeps the payload bytes as they are, even when they are not a message', () => {
    const junk = new Uint8Array([0, 255, 10, 13, 1]);
    expect(readDeadLetter({ headers: headersOf(letter), data: junk }).payload).toEqual(junk);
  });

  it('uses the documented header names', () => {
    const h = headersOf(letter);
    expect(h.get('Lnfleet-Source-Stream')).toBe(letter.sourceStream);
    expect(h.get('Lnfleet-Source-Sequence')).toBe(String(letter.sourceSequence));
    expect(h.get('Lnfleet-Source-Subject')).toBe(letter.sourceSubject);
    expect(h.get('Lnfleet-Consumer')).toBe(letter.consumer);
    expect(h.get('Lnfleet-Reason')).toBe(letter.reason);
    expect(h.get('Lnfleet-Error')).toBe(letter.error);
    expect(h.get('Lnfleet-Deliveries')).toBe('10');
    expect(Object.values(DeadLetterHeaders).sort()).toEqual([...h.keys()].sort());
  });

  it('folds a multi-line error (a stack trace) into one line', () => {
    const error = 'Error: boom\n    at handler (a.ts:1:1)\r\n    at next (b.ts:2:2)\r\r\nCaused by: disk full';
    const h = headersOf({ ...letter, error });
    const folded = h.get(DeadLetterHeaders.error);
    expect(folded).not.toMatch(/[\r\n]/);
    expect(folded).toBe('Error: boom     at handler (a.ts:1:1)     at next (b.ts:2:2) Caused by: disk full');
    expect(readDeadLetter({ headers: onTheWire(h), data: payload }).error).toBe(folded);
  });

  it('truncates a long error to 4096 characters', () => {
    const error = `${'x'.repeat(4_000)}\n${'y'.repeat(2_000)}`;
    const read = readDeadLetter({ headers: onTheWire(headersOf({ ...letter, error })), data: payload }).error;
    expect(read).toHaveLength(4_096);
    expect(read).toBe(`${'x'.repeat(4_000)} ${'y'.repeat(95)}`);
  });

  it('keeps an error of exactly 4096 characters whole', () => {
    const error = 'e'.repeat(4_096);
    expect(readDeadLetter({ headers: headersOf({ ...letter, error }), data: payload }).error).toBe(error);
  });

  it('reads a message without headers as an empty origin instead of throwing', () => {
    const read = readDeadLetter({ data: payload });
    expect(read).toMatchObject({ sourceStream: '', sourceSubject: '', consumer: '', error: '', payload });
  });
});
