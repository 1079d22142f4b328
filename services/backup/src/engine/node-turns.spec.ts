import { NodeTurns, OutOfTurnError } from './node-turns.js';

const NODE = 'node-a';
const OTHER = 'node-b';

describe('NodeTurns', () => {
  it('holds back a node’s later events while an earlier one waits, not its earlier ones', () => {
    const turns = new NodeTurns(60_000);
    turns.wait(NODE, 7, 0);
    expect(turns.earlierWaiting(NODE, 9, 10)).toBe(7);
    expect(turns.earlierWaiting(NODE, 7, 10)).toBeNull();
    expect(turns.earlierWaiting(NODE, 5, 10)).toBeNull();
    expect(turns.earlierWaiting(OTHER, 9, 10)).toBeNull();
  });

  it('names the earliest waiting event, and lets the rest go once the waiting ones are applied', () => {
    const turns = new NodeTurns(60_000);
    turns.wait(NODE, 9, 0);
    turns.wait(NODE, 7, 0);
    expect(turns.earlierWaiting(NODE, 12, 1)).toBe(7);
    turns.done(NODE, 7);
    expect(turns.earlierWaiting(NODE, 12, 1)).toBe(9);
    turns.done(NODE, 9);
    expect(turns.earlierWaiting(NODE, 12, 1)).toBeNull();
    expect(turns.size).toBe(0);
  });

  it('stops holding back after the longest wait (applied elsewhere, or dead-lettered)', () => {
    const turns = new NodeTurns(1_000);
    turns.wait(NODE, 7, 0);
    expect(turns.earlierWaiting(NODE, 8, 999)).toBe(7);
    expect(turns.earlierWaiting(NODE, 8, 1_000)).toBeNull();
    expect(turns.size).toBe(0);
  });

  it('keeps the first time an event started waiting when it is put back again', () => {
    const turns = new NodeTurns(1_000);
    turns.wait(NODE, 7, 0);
    turns.wait(NODE, 7, 900);
    expect(turns.earlierWaiting(NODE, 8, 1_000)).toBeNull();
  });

  it('explains itself when an event is put back', () => {
    expect(new OutOfTurnError(NODE, 9, 7).message).toBe(`event #9 of node ${NODE} waits for #7 to be applied first (its retry is pending)`);
  });
});
