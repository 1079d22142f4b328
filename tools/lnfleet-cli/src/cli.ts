import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Env } from '@lnfleet/config';
import { runAudit, validNodeId } from './audit/audit-command.js';
import { runRestore, runVerify } from './backup-command.js';
import { renderAudit } from './audit/render-audit.js';
import { CliError, ExitCode, UsageError } from './errors.js';
import { INSTANT_FORMATS, parseInstant } from './instant.js';
import { ProgressReporter } from './progress.js';
import { replayServiceNamed, runReplay, REPLAY_SERVICES } from './replay/replay.js';

/** CliIo is where the CLI reads its settings and writes its output (the process, or a test's capture). */
export interface CliIo {
  readonly env: Env;
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly now: () => number;
}

const HELP = `lnfleet: replay and audit an lnfleet fleet from its event streams

Usage:
  lnfleet replay <service> [--from <time>] [--no-switch] [--schema <name>] [--live-schema <name>]
  lnfleet audit <nodeId> --at <time> [--json]
  lnfleet backup restore <nodeId> --out <file> [--version <n> | --at <time>] [--kind <kind>] [--overwrite]
  lnfleet backup verify [--dir <directory>] [--json]
  lnfleet help [command]

Commands:
  replay   rebuild a service's projection from the streams into a fresh schema and switch the
           live service over to it when caught up (services: ${REPLAY_SERVICES.join(', ')})
  audit    a node's state at a time, rebuilt from the streams alone, and every autopilot decision
           up to then with its recorded inputs
  backup   restore a node's stored backup to a file, or verify every node's latest backup against
           the channel set the event stream gives (the backup service's own tools)

The CLI reads the services' variables: NATS_URL (and NATS authentication), LNFLEET_NAMESPACE,
DATABASE_URL, DATABASE_SCHEMA, AUTOPILOT_DURABLE_PREFIX, CHANFITNESS_CONSUMER, CHANFITNESS_*,
BACKUP_MASTER_KEY / BACKUP_MASTER_KEY_FILE, BACKUP_CONSUMER.

Exit codes: 0 done, 1 failed, 2 bad command line, 3 not found, 4 NATS or PostgreSQL unreachable.
`;

const REPLAY_HELP = `Usage: lnfleet replay <service> [options]

Rebuilds <service>'s projection (${REPLAY_SERVICES.join(', ')}) with the service's own fold code: reads
its streams with ordered consumers into a fresh schema while the live service keeps working, shows
progress (events done, events/s, ETA), and when caught up switches over: it locks the live schema's
tables (in-flight writes finish first; new ones wait), folds the last events, and in the same
transaction renames the live schema to <live>_before_<time> and the new one to the live name. The
live service's next statement lands in the rebuilt tables. Nothing is lost (everything stored
before the lock is in the new schema; later events reach the live service's consumer as usual) and
nothing is counted twice (the projections ignore an event they already hold).

Options:
  --from <time>         start at the first message stored at or after <time> instead of the start
                        of the streams (the projection then holds only what those messages say)
  --no-switch           build the schema and leave it beside the live one (no switch-over)
  --schema <name>       name of the new schema (default <live>_replay_<yyyymmddhhmmss>)
  --live-schema <name>  the live service's schema (default DATABASE_SCHEMA, else the service name)
  --live-wait <seconds> before switching, wait up to this long for the live service's consumers to
                        catch up (default 30); events folded by the switch and not yet by the live
                        autopilot are not decided on at once, but at its next heartbeat
  -h, --help            this help

<time> is ${INSTANT_FORMATS}.
`;

const AUDIT_HELP = `Usage: lnfleet audit <nodeId> --at <time> [--json]

Rebuilds the node's state at <time> from the events and derived streams alone (ordered consumers,
no database): channels and balance (the autopilot's projection), online peers and each peer's
fitness (chanfitness's fold and thresholds), the latest stored backups, the autopilot's policy and
opens in flight, and every AutopilotDecision up to then with the inputs it recorded and what became
of the channels it chose. A message counts when it happened (occurredAt) by <time>.

Options:
  --at <time>   the instant: ${INSTANT_FORMATS}
  --json        print the report as JSON (schemaVersion 1) instead of text
  -h, --help    this help
`;

const BACKUP_HELP = `Usage:
  lnfleet backup restore <nodeId> --out <file> [--version <n> | --at <time>] [--kind channel-set|node-packed]
                         [--overwrite] [--from-dir <directory>] [--json]
  lnfleet backup verify [--dir <directory>] [--json]

restore writes one stored backup of the node to <file> after checking it: the channel-set backup
(default) is decrypted with BACKUP_MASTER_KEY (or BACKUP_MASTER_KEY_FILE), authenticated and written
as JSON; the node's own packed backup (--kind node-packed) is written verbatim, for
\`lncli restorechanbackup --multi_file\`, once its bytes match their stored hash. Any failed check
writes nothing. The backup comes from the backup service's schema (DATABASE_URL, DATABASE_SCHEMA or
"backup"), or with --from-dir from its target directory (latest or --version only).

verify rebuilds every node's channel set from the event stream and compares it with the node's
latest backup (decrypted); with --dir it also checks each node's current file. It exits 1 when a
node does not match, 0 when all do.

Options:
  --out <file>         where restore writes (refused if it exists, unless --overwrite)
  --version <n>        a version number (default: the latest)
  --at <time>          the newest version stored at or before <time>: ${INSTANT_FORMATS}
  --kind <kind>        channel-set (default) or node-packed
  --overwrite          replace <file> if it exists
  --from-dir <dir>     read from the backup service's target directory instead of its database
  --dir <dir>          verify: also check the files in the service's target directory
  --json               print the result as JSON
  -h, --help           this help
`;

const COMMAND_HELP: Readonly<Record<string, string>> = { replay: REPLAY_HELP, audit: AUDIT_HELP, backup: BACKUP_HELP };

/**
 * runCli runs one command line and returns the exit code. Errors are printed as one line on
 * stderr (a usage error with the command's help); nothing throws out of it.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
        io.stdout.write(HELP);
        return ExitCode.ok;
      case 'help': {
        const topic = rest[0];
        if (topic === undefined) io.stdout.write(HELP);
        else io.stdout.write(helpFor(topic));
        return ExitCode.ok;
      }
      case 'audit':
        return await audit(rest, io);
      case 'replay':
        return await replay(rest, io);
      case 'backup':
        return await backup(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"; commands: replay, audit, backup, help`);
    }
  } catch (error) {
    return report(error, command, io);
  }
}

async function audit(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { at: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help === true) {
    io.stdout.write(AUDIT_HELP);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'audit needs a node id' : `audit takes one node id, got ${positionals.length}`);
  const nodeId = validNodeId(positionals[0] ?? '');
  if (typeof values.at !== 'string') throw new UsageError('audit needs --at <time>');
  const atMs = parseInstant(values.at, '--at', io.now());
  const result = await runAudit({ nodeId, atMs }, io.env);
  io.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : renderAudit(result));
  return ExitCode.ok;
}

async function replay(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    from: { type: 'string' },
    'no-switch': { type: 'boolean' },
    schema: { type: 'string' },
    'live-schema': { type: 'string' },
    'live-wait': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    io.stdout.write(REPLAY_HELP);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'replay needs a service' : `replay takes one service, got ${positionals.length}`);
  const service = replayServiceNamed(positionals[0] ?? '');
  const fromMs = typeof values.from === 'string' ? parseInstant(values.from, '--from', io.now()) : undefined;
  const liveWaitMs = typeof values['live-wait'] === 'string' ? seconds(values['live-wait'], '--live-wait') : 30_000;
  const progress = new ProgressReporter(io.stderr, io.stderr.isTTY === true, `replay ${service}`);
  const outcome = await runReplay(
    {
      service,
      ...(fromMs !== undefined ? { fromMs } : {}),
      switchOver: values['no-switch'] !== true,
      ...(typeof values.schema === 'string' ? { schema: values.schema } : {}),
      ...(typeof values['live-schema'] === 'string' ? { liveSchema: values['live-schema'] } : {}),
      liveWaitMs,
      progress,
      log: (line) => io.stderr.write(`${line}\n`),
    },
    io.env,
  );
  const rate = outcome.seconds > 0 ? Math.round(outcome.events / outcome.seconds) : outcome.events;
  io.stdout.write(`replayed ${outcome.events} events into schema ${outcome.schema} in ${outcome.seconds.toFixed(1)} s (${rate} events/s)\n`);
  if (outcome.switched !== null) {
    io.stdout.write(
      `switched over: schema ${outcome.switched.liveSchema} is now the rebuilt projection; the previous one is kept as ${outcome.switched.retiredSchema} (drop it when done)\n`,
    );
  } else {
    io.stdout.write(`not switched over (--no-switch): the live service still uses ${outcome.liveSchema}\n`);
  }
  return ExitCode.ok;
}

async function backup(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    out: { type: 'string' },
    version: { type: 'string' },
    at: { type: 'string' },
    kind: { type: 'string' },
    overwrite: { type: 'boolean' },
    'from-dir': { type: 'string' },
    dir: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const [action, ...rest] = positionals;
  if (values.help === true || action === undefined) {
    if (action === undefined && values.help !== true) throw new UsageError('backup needs restore or verify');
    io.stdout.write(BACKUP_HELP);
    return ExitCode.ok;
  }
  if (action === 'verify') {
    if (rest.length > 0) throw new UsageError(`backup verify takes no arguments, got ${rest.join(' ')}`);
    const { report, text } = await runVerify(typeof values.dir === 'string' ? { directory: values.dir } : {}, io.env);
    io.stdout.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : `${text}\n`);
    return report.ok ? ExitCode.ok : ExitCode.failure;
  }
  if (action !== 'restore') throw new UsageError(`unknown backup command "${action}"; backup commands: restore, verify`);
  if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'backup restore needs a node id' : `backup restore takes one node id, got ${rest.length}`);
  const nodeId = validNodeId(rest[0] ?? '');
  if (typeof values.out !== 'string') throw new UsageError('backup restore needs --out <file>');
  if (values.version !== undefined && values.at !== undefined) throw new UsageError('give --version or --at, not both');
  const kind = values.kind ?? 'channel-set';
  if (kind !== 'channel-set' && kind !== 'node-packed') throw new UsageError(`--kind "${String(kind)}" must be channel-set or node-packed`);
  let version: number | undefined;
  if (typeof values.version === 'string') {
    version = Number(values.version);
    if (!/^[1-9]\d{0,15}$/.test(values.version)) throw new UsageError(`--version "${values.version}" is not a version number (1, 2, 3, ...)`);
  }
  const { result, text } = await runRestore(
    {
      nodeId,
      outFile: values.out,
      kind,
      overwrite: values.overwrite === true,
      ...(version !== undefined ? { version } : {}),
      ...(typeof values.at === 'string' ? { atMs: parseInstant(values.at, '--at', io.now()) } : {}),
      ...(typeof values['from-dir'] === 'string' ? { fromDirectory: values['from-dir'] } : {}),
    },
    io.env,
  );
  io.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : `${text}\n`);
  return ExitCode.ok;
}

function parse(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function seconds(text: string, option: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(value)) throw new UsageError(`${option} "${text}" is not a number of seconds`);
  return Math.round(value * 1_000);
}

function helpFor(command: string): string {
  const help = COMMAND_HELP[command];
  if (help === undefined) throw new UsageError(`no help for "${command}"; commands: replay, audit, backup`);
  return help;
}

function report(error: unknown, command: string | undefined, io: CliIo): number {
  if (error instanceof CliError) {
    io.stderr.write(`lnfleet: ${error.message}\n`);
    if (error instanceof UsageError) {
      const known = command !== undefined && COMMAND_HELP[command] !== undefined;
      io.stderr.write(`Run "lnfleet ${known ? `${command} ` : ''}--help" for usage.\n`);
    }
    return error.exitCode;
  }
  io.stderr.write(`lnfleet: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.failure;
}
