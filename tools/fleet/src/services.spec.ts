import { isErrorLine, LineBuffer } from './services.js';

describe('service output', () => {
  it('splits chunks into whole lines, CRLF included, and flushes the rest', () => {
    const lines: string[] = [];
    const buffer = new LineBuffer((line) => lines.push(line));
    buffer.push('one\r\ntw');
    buffer.push('o\nthree');
    expect(lines).toEqual(['one', 'two']);
    buffer.flush();
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('tells error lines from ordinary ones', () => {
    expect(isErrorLine('[Nest] 1  - 11/22/2026, 1:38:10 AM   ERROR [Server] handler failed')).toBe(true);
    expect(isErrorLine('invalid configuration: NATS_URL: must be ...')).toBe(true);
    expect(isErrorLine('QueryFailedError: relation "x" does not exist')).toBe(true);
    expect(isErrorLine('    at Object.<anonymous> (/app/main.js:3:9)')).toBe(true);
    expect(isErrorLine('[Nest] 1  - 11/22/2026, 1:38:10 AM     LOG [NodeFleet] serving 25 node(s)')).toBe(false);
    expect(isErrorLine('[Nest] 1  - 11/22/2026, 1:38:10 AM    WARN [Server] pull ended early')).toBe(false);
  });
});
