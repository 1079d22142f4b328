import { runCli } from './cli.js';
import { capturedIo } from './cli-test-io.fixture.js';
import { ExitCode } from './errors.js';

const NODE = `02${'11'.repeat(32)}`;

describe('lnfleet command line', () => {
  it.each([[[]], [['--help']], [['-h']], [['help']]])('prints the overview for %j', async (argv) => {
    const io = capturedIo({});
    expect(await runCli(argv, io)).toBe(ExitCode.ok);
    expect(io.out()).toContain('Usage:');
    expect(io.out()).toContain('lnfleet replay <service>');
    expect(io.out()).toContain('lnfleet audit <nodeId> --at <time>');
  });

  it.each([
    [['replay', '--help'], 'Usage: lnfleet replay <service>'],
    [['help', 'replay'], 'Usage: lnfleet replay <service>'],
    [['audit', '-h'], 'Usage: lnfleet audit <nodeId> --at <time>'],
    [['help', 'audit'], 'Usage: lnfleet audit <nodeId> --at <time>'],
    [['backup', '--help'], 'Usage:\n  lnfleet backup restore <nodeId> --out <file>'],
    [['help', 'backup'], 'Usage:\n  lnfleet backup restore <nodeId> --out <file>'],
  ])('prints per-command help for %j', async (argv, heading) => {
    const io = capturedIo({});
    expect(await runCli(argv, io)).toBe(ExitCode.ok);
    expect(io.out().startsWith(heading)).toBe(true);
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['audit'], 'audit needs a node id'],
    [['audit', NODE], 'audit needs --at <time>'],
    [['audit', 'not-a-node', '--at', 'now'], '"not-a-node" is not a node id'],
    [['audit', NODE, '--at', 'tomorrow'], '--at "tomorrow" is not a time'],
    [['audit', NODE, '--at', 'now', '--verbose'], "Unknown option '--verbose'"],
    [['replay'], 'replay needs a service'],
    [['replay', 'gateway'], 'unknown service "gateway"'],
    [['replay', 'autopilot', '--from', '2026-02-30'], '--from "2026-02-30" is not a valid date or time'],
    [['replay', 'autopilot', '--live-wait', 'soon'], '--live-wait "soon" is not a number of seconds'],
    [['help', 'frobnicate'], 'no help for "frobnicate"'],
    [['backup'], 'backup needs restore or verify'],
    [['backup', 'shred'], 'unknown backup command "shred"'],
    [['backup', 'restore', NODE], 'backup restore needs --out <file>'],
    [['backup', 'restore', NODE, '--out', 'x.json', '--kind', 'tape'], '--kind "tape" must be channel-set or node-packed'],
    [['backup', 'restore', NODE, '--out', 'x.json', '--version', '0'], '--version "0" is not a version number'],
    [['backup', 'restore', NODE, '--out', 'x.json', '--version', '2', '--at', 'now'], 'give --version or --at, not both'],
    [['backup', 'verify', NODE], 'backup verify takes no arguments'],
  ])('refuses %j with exit 2 and says why', async (argv, message) => {
    const io = capturedIo({});
    expect(await runCli(argv, io)).toBe(ExitCode.usage);
    expect(io.err()).toContain(message);
    expect(io.err()).toMatch(/Run "lnfleet .*--help" for usage\./);
    expect(io.out()).toBe('');
  });

  it('names a bad variable before connecting (exit 2)', async () => {
    const io = capturedIo({ CHANFITNESS_MIN_UPTIME_RATIO: '2' });
    expect(await runCli(['audit', NODE, '--at', 'now'], io)).toBe(ExitCode.usage);
    expect(io.err()).toContain('CHANFITNESS_MIN_UPTIME_RATIO');
  });
});
