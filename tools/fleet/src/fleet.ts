/**
 * `npm start`: find or start the infrastructure, start the four services on a simulated fleet,
 * enable the autopilot on every node, show the live summary, and stop everything cleanly.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError, DEFAULT_NATS_URL, redactUrl, type Env } from '@lnfleet/config';
import { natsProbeTarget, parseFleetOptions, USAGE, type FleetOptions } from './config.js';
import { Dashboard } from './dashboard.js';
import { findNatsServer, NATS_INSTALL_HINT, startEmbeddedNats, type EmbeddedNats } from './infra/nats-server.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './infra/postgres.js';
import { freePort, isListening } from './infra/probe.js';
import { FleetMonitor } from './monitor.js';
import { schemaFor, serviceEnvironment, SERVICES, type Infrastructure, type ServiceName } from './plan.js';
import { PolicyEnabler } from './policies.js';
import { ServiceProcesses } from './services.js';
import { newFleetState, recordError, type FleetState } from './state.js';
import { fleetWorking, renderSummary, summaryFigures } from './summary.js';

const STARTUP_TIMEOUT_MS = 180_000;
/** WORKING_CHECK_MS is how often --until-working looks at the summary. */
const WORKING_CHECK_MS = 250;
const GRAPH_FILE = 'ln-graph-2025-10-25.json.gz';

/** runFleet runs the fleet command in repository `root`; it resolves with the exit code. */
export async function runFleet(root: string, argv: readonly string[], env: Env): Promise<number> {
  const sharedGraph = resolve(root, '..', 'shared', 'data', GRAPH_FILE);
  let options: FleetOptions;
  try {
    options = parseFleetOptions(argv, env, { graphFile: existsSync(sharedGraph) ? relative(root, sharedGraph) : undefined, logFile: join('.lnfleet', 'fleet.log') });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`lnfleet: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unbuilt = SERVICES.filter((name) => !existsSync(join(root, 'services', name, 'dist', 'main.js')));
  if (unbuilt.length > 0) {
    process.stderr.write(`lnfleet: not built: ${unbuilt.join(', ')}. Run \`npm run build\` first (npm start does it for you).\n`);
    return 1;
  }
  if (options.graphFile !== undefined && !existsSync(resolve(root, options.graphFile))) {
    process.stderr.write(`lnfleet: invalid configuration: --graph (LNFLEET_GRAPH_FILE): ${options.graphFile} does not exist\n`);
    return 2;
  }
  const logPath = resolve(root, options.logFile);
  mkdirSync(dirname(logPath), { recursive: true });
  const log = createWriteStream(logPath, { flags: 'w' });
  const say = (line: string): void => {
    process.stdout.write(`${line}\n`);
    log.write(`[fleet       ] ${line}\n`);
  };
  say(`lnfleet: service output goes to ${logPath}`);
  return new Fleet(root, options, env, log, say).run();
}

class Fleet {
  private embeddedNats: EmbeddedNats | undefined;
  private embeddedPostgres: EmbeddedPostgres<ServiceName> | undefined;
  private runDir: string | undefined;
  private monitor: FleetMonitor | undefined;
  private services: ServiceProcesses | undefined;
  private policies: PolicyEnabler | undefined;
  private dashboard: Dashboard | undefined;
  private state: FleetState | undefined;
  private stopping: Promise<number> | undefined;
  private exitCode = 0;
  private finish: (code: number) => void = () => undefined;
  /** ephemeralNamespace is a namespace made up for this run on a NATS that outlives it: its streams are deleted at the end. */
  private ephemeralNamespace = false;

  constructor(
    private readonly root: string,
    private readonly options: FleetOptions,
    private readonly env: Env,
    private readonly log: WriteStream,
    private readonly say: (line: string) => void,
  ) {}

  async run(): Promise<number> {
    const done = new Promise<number>((resolve) => {
      this.finish = resolve;
    });
    const onSignal = (): void => {
      if (this.stopping !== undefined) {
        this.say('lnfleet: stopping (again: still waiting for the services; Ctrl-\\ kills)');
        return;
      }
      void this.shutdown(0, 'stopping (Ctrl-C)');
    };
    // SIGHUP: the terminal went away.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
    try {
      await this.start();
    } catch (error) {
      this.say(`lnfleet: ${error instanceof Error ? error.message : String(error)}`);
      void this.shutdown(1);
    }
    const code = await done;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, onSignal);
    return code;
  }

  private async start(): Promise<void> {
    const { options, env } = this;
    // NATS: the configured (or default) URL if something answers there, else an embedded server.
    let natsUrl = env.NATS_URL !== undefined && env.NATS_URL !== '' ? env.NATS_URL : DEFAULT_NATS_URL;
    const natsTarget = natsProbeTarget(natsUrl);
    let natsLabel = natsUrl;
    if (natsTarget !== undefined && !(await isListening(natsTarget))) {
      const binary = findNatsServer(options.natsServerBinary, env.PATH);
      if (binary === undefined) {
        throw new Error(`nothing answers at ${natsUrl} and no nats-server binary was found${options.natsServerBinary === undefined ? '' : ` at LNFLEET_NATS_SERVER`}. ${NATS_INSTALL_HINT}`);
      }
      this.say(`lnfleet: nothing answers at ${natsUrl}; starting ${binary} with JetStream in a temporary directory`);
      this.embeddedNats = await startEmbeddedNats(binary, this.log);
      natsUrl = this.embeddedNats.url;
      natsLabel = `${natsUrl} (embedded)`;
    }

    // PostgreSQL: DATABASE_URL if set; else a server answering at the probed address; else PGlite.
    const databaseUrl = env.DATABASE_URL !== undefined && env.DATABASE_URL !== '' ? env.DATABASE_URL : undefined;
    const probe = options.postgresProbe;
    const useEmbedded = options.embeddedPostgres || (databaseUrl === undefined && !(await isListening(probe)));
    let namespace = env.LNFLEET_NAMESPACE !== undefined && env.LNFLEET_NAMESPACE !== '' ? env.LNFLEET_NAMESPACE : undefined;
    const schemaPrefix = env.LNFLEET_SCHEMA_PREFIX !== undefined && env.LNFLEET_SCHEMA_PREFIX !== '' ? env.LNFLEET_SCHEMA_PREFIX : undefined;
    let urls: Record<ServiceName, string>;
    let postgresLabel: string;
    if (useEmbedded) {
      this.say(
        `lnfleet: ${options.embeddedPostgres ? 'embedded PostgreSQL asked for' : `DATABASE_URL is unset and nothing answers at ${probe.host}:${probe.port}`}; ` +
          'starting embedded PostgreSQL (PGlite, in memory, one per service)',
      );
      const schemas = Object.fromEntries(SERVICES.map((s) => [s, schemaFor(s, schemaPrefix)])) as Record<ServiceName, string>;
      this.embeddedPostgres = await startEmbeddedPostgres(schemas);
      urls = this.embeddedPostgres.urls;
      postgresLabel = 'embedded (PGlite)';
      // The projections start empty: on a NATS that keeps its streams, use streams of this run only.
      if (this.embeddedNats === undefined && namespace === undefined) {
        namespace = `fleet_${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
        this.ephemeralNamespace = true;
        this.say(`lnfleet: streams of this run are namespaced ${namespace} (deleted at the end, like the embedded database)`);
      }
    } else {
      const url = databaseUrl ?? `postgres://postgres@${probe.host.includes(':') ? `[${probe.host}]` : probe.host}:${probe.port}/postgres`;
      urls = Object.fromEntries(SERVICES.map((s) => [s, url])) as Record<ServiceName, string>;
      postgresLabel = redactUrl(url);
    }
    const ephemeral = this.embeddedNats !== undefined || this.embeddedPostgres !== undefined;
    if (ephemeral) this.runDir = mkdtempSync(join(tmpdir(), 'lnfleet-run-'));
    const infra: Infrastructure = {
      natsUrl,
      databaseUrl: urls,
      namespace,
      schemaPrefix,
      backupDir: this.runDir === undefined ? undefined : join(this.runDir, 'backup'),
    };

    const state = newFleetState(Date.now(), options.nodes, { nats: natsLabel, postgres: postgresLabel });
    this.state = state;
    const monitorEnv: Env = { ...env, NATS_URL: natsUrl, LNFLEET_NAMESPACE: namespace };
    this.monitor = await FleetMonitor.start(monitorEnv, state);

    const ports = {} as Record<ServiceName, number>;
    for (const service of SERVICES) ports[service] = await freePort();
    const dashboard = new Dashboard(state, process.stdout, options.refreshMs, [
      `service output: ${this.log.path.toString()}   HTTP: ${SERVICES.map((s) => `${s} :${ports[s]}`).join(', ')}`,
      options.runSeconds === undefined ? 'Ctrl-C stops everything.' : `scripted run: stops after ${options.runSeconds} s`,
    ]);
    this.dashboard = dashboard;
    this.policies = new PolicyEnabler(`http://127.0.0.1:${ports['node-gateway']}`, `http://127.0.0.1:${ports.autopilot}`, `npm-start-${state.startedAtMs}`, (message) => {
      this.errorLine('fleet', message);
    });
    const ready = new Set<ServiceName>();
    const startupTimer = setTimeout(() => {
      const waiting = SERVICES.filter((s) => !ready.has(s));
      void this.shutdown(1, `${waiting.join(', ')} not ready after ${STARTUP_TIMEOUT_MS / 1000} s (see ${this.log.path.toString()})`);
    }, STARTUP_TIMEOUT_MS);
    this.services = new ServiceProcesses(this.root, this.log, {
      ready: (service) => {
        ready.add(service);
        state.services[service] = 'ready';
        if (service === 'node-gateway' || service === 'autopilot') {
          if (ready.has('node-gateway') && ready.has('autopilot')) this.policies?.start();
        }
        if (ready.size === SERVICES.length) {
          clearTimeout(startupTimer);
          this.log.write(`[fleet       ] all ${SERVICES.length} services ready\n`);
          if (options.exitWhenReady) {
            void this.shutdown(0, `all ${SERVICES.length} services connected to NATS and PostgreSQL`);
          }
        }
      },
      errorLine: (service, line) => {
        this.errorLine(service, line);
      },
      exited: (service, code, signal) => {
        state.services[service] = this.stopping === undefined ? 'failed' : 'stopped';
        if (this.stopping === undefined) {
          void this.shutdown(1, `${service} exited (${signal ?? `code ${code ?? '?'}`}); stopping the others (see ${this.log.path.toString()})`);
        }
      },
    });
    this.say(`lnfleet: starting ${SERVICES.join(', ')} on ${options.nodes} simulated node(s) at ${options.speed}x (NATS ${natsLabel}, PostgreSQL ${postgresLabel})`);
    for (const service of SERVICES) {
      this.services.start(service, serviceEnvironment(service, env, options, infra, ports[service]));
    }
    if (!options.exitWhenReady) dashboard.start();
    if (options.runSeconds !== undefined) {
      setTimeout(() => {
        void this.shutdown(0, `scripted run of ${options.runSeconds ?? 0} s over`);
      }, options.runSeconds * 1000).unref();
      if (options.untilWorking) {
        const check = setInterval(() => {
          if (this.stopping === undefined && !fleetWorking(summaryFigures(state, Date.now()))) return;
          clearInterval(check);
          if (this.stopping !== undefined) return;
          void this.shutdown(0, `the fleet works after ${Math.round((Date.now() - state.startedAtMs) / 1000)} s (--until-working)`);
        }, WORKING_CHECK_MS);
        check.unref();
      }
    }
  }

  private errorLine(service: string, line: string): void {
    const text = `${service}: ${line.trim()}`;
    if (this.state !== undefined) recordError(this.state, text.length > 300 ? `${text.slice(0, 300)}…` : text);
    this.dashboard?.errorLine(`[${service}] ${line}`);
  }

  /** shutdown stops everything once, in reverse order of start, and resolves run() with `code`. */
  private shutdown(code: number, reason?: string): Promise<number> {
    if (this.stopping !== undefined) return this.stopping;
    this.exitCode = code;
    this.stopping = (async () => {
      this.dashboard?.stop();
      this.policies?.stop();
      if (reason !== undefined) this.say(`\nlnfleet: ${reason}`);
      if (this.options.runSeconds !== undefined && this.state !== undefined && this.monitor !== undefined) {
        await this.monitor.pollLag().catch(() => undefined);
        this.printFinalSummary(this.state);
      }
      if (this.services !== undefined && this.services.running > 0) {
        this.say('lnfleet: stopping the services');
        await this.services.stopAll();
      }
      if (this.ephemeralNamespace) await this.monitor?.deleteStreams().catch(() => undefined);
      await this.monitor?.close().catch(() => undefined);
      await this.embeddedPostgres?.stop();
      await this.embeddedNats?.stop();
      if (this.runDir !== undefined) rmSync(this.runDir, { recursive: true, force: true });
      this.say(`lnfleet: stopped${this.exitCode === 0 ? '' : ` (exit code ${this.exitCode})`}`);
      await new Promise<void>((resolve) => this.log.end(resolve));
      this.finish(this.exitCode);
      return this.exitCode;
    })();
    return this.stopping;
  }

  private printFinalSummary(state: FleetState): void {
    const now = Date.now();
    process.stdout.write(`\nfinal summary\n${renderSummary(state, now, 200).join('\n')}\n`);
    if (this.options.json) process.stdout.write(`LNFLEET_SUMMARY ${JSON.stringify(summaryFigures(state, now))}\n`);
  }
}

