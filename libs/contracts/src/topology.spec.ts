import { Catalogue } from './catalogue.js';
import { NODE_ID, OTHER_PEER, validMessage } from './fixtures.spec-helpers.js';
import { Topology, type DerivedService, type StreamRole, type StreamSpec } from './topology.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const roles: readonly StreamRole[] = ['events', 'commands', 'derived', 'deadLetter'];
const services: readonly DerivedService[] = ['autopilot', 'chanfitness', 'backup'];

/** subjectMatches says whether a concrete subject falls under a NATS filter ('*' one token, '>' the rest). */
function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i += 1) {
    const token = f[i];
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return f.length === s.length;
}

/** filtersOverlap says whether some subject would match both NATS filters. */
function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return false;
    if (p === '>' || q === '>') return true;
    if (p !== '*' && q !== '*' && p !== q) return false;
  }
  return true;
}

/** subjectsOf lists every stream's subject filters with the stream name. */
function subjectsOf(specs: readonly StreamSpec[]): Array<{ stream: string; filter: string }> {
  return specs.flatMap((spec) => spec.subjects.map((filter) => ({ stream: spec.name, filter })));
}

/** streamsOf returns the stream holding a subject; exactly one must. */
function streamsHolding(topology: Topology, subject: string): string[] {
  return Object.values(topology.streams())
    .filter((spec) => spec.subjects.some((filter) => subjectMatches(filter, subject)))
    .map((spec) => spec.name);
}

describe('subject filter helpers (used by the overlap checks below)', () => {
  it('match subjects like NATS', () => {
    expect(subjectMatches('a.>', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.*.c', 'a.b.c')).toBe(true);
    expect(subjectMatches('a.*.c', 'a.b.d')).toBe(false);
    expect(subjectMatches('a.b', 'a.b.c')).toBe(false);
  });

  it('detect overlapping filters', () => {
    expect(filtersOverlap('a.>', 'a.b.*')).toBe(true);
    expect(filtersOverlap('a.*.c', 'a.b.>')).toBe(true);
    expect(filtersOverlap('*.evt.>', 'lnfleet.evt.x')).toBe(true);
    expect(filtersOverlap('a.b.>', 'a.c.>')).toBe(false);
    expect(filtersOverlap('a.>', 'a')).toBe(false);
    expect(filtersOverlap('a.b', 'a.b.c')).toBe(false);
  });
});

describe('Topology', () => {
  describe('default names', () => {
    const topology = new Topology();

    it('has no namespace', () => {
      expect(topology.namespace).toBe('');
      expect(new Topology({ namespace: '' }).streams()).toEqual(topology.streams());
    });

    it('names the streams LNFLEET_<ROLE>', () => {
      expect(roles.map((role) => topology.streamName(role))).toEqual([
        'LNFLEET_EVENTS',
        'LNFLEET_COMMANDS',
        'LNFLEET_DERIVED',
        'LNFLEET_DEADLETTER',
      ]);
    });

    it('names the graph snapshot bucket LNFLEET_GRAPH, per namespace', () => {
      expect(topology.graphSnapshotBucket()).toBe('LNFLEET_GRAPH');
      expect(new Topology({ namespace: 'fleet_a' }).graphSnapshotBucket()).toBe('FLEET_A_LNFLEET_GRAPH');
    });

    it('publishes node events on lnfleet.evt.<node>.<Type>', () => {
      expect(topology.nodeEventSubject(NODE_ID, 'ChannelOpened')).toBe(`lnfleet.evt.${NODE_ID}.ChannelOpened`);
    });

    it('publishes commands on lnfleet.cmd.<node>.<Type>', () => {
      expect(topology.commandSubject(NODE_ID, 'OpenChannel')).toBe(`lnfleet.cmd.${NODE_ID}.OpenChannel`);
    });

    it('publishes derived facts on lnfleet.drv.<service>.<node>.<Type>', () => {
      expect(topology.derivedSubject('chanfitness', NODE_ID, 'PeerFitnessChanged')).toBe(
        `lnfleet.drv.chanfitness.${NODE_ID}.PeerFitnessChanged`,
      );
    });

    it('records dead letters on lnfleet.dlq.<service>.<sourceStream>', () => {
      expect(topology.deadLetterSubject('autopilot', 'LNFLEET_EVENTS')).toBe('lnfleet.dlq.autopilot.LNFLEET_EVENTS');
    });

    it('answers queries on lnfleet.qry.<service>.<query>, outside every stream', () => {
      const subject = topology.querySubject('chanfitness', 'peer');
      expect(subject).toBe('lnfleet.qry.chanfitness.peer');
      expect(streamsHolding(topology, subject)).toEqual([]);
      expect(new Topology({ namespace: 'ns1' }).querySubject('chanfitness', 'channel')).toBe('ns1.lnfleet.qry.chanfitness.channel');
      expect(() => topology.querySubject('chanfitness', 'peer.*')).toThrow(/subject token/);
      expect(() => topology.querySubject('chan fitness', 'peer')).toThrow(/subject token/);
    });

    it('builds the consumer filters', () => {
      expect(topology.allNodeEvents()).toBe('lnfleet.evt.>');
      expect(topology.nodeEvents(NODE_ID)).toBe(`lnfleet.evt.${NODE_ID}.>`);
      expect(topology.allCommands()).toBe('lnfleet.cmd.>');
      expect(topology.commandsOfType('OpenChannel')).toBe('lnfleet.cmd.*.OpenChannel');
      expect(topology.derivedBy('backup')).toBe('lnfleet.drv.backup.>');
    });

    it('keeps one node’s event filter away from another node’s events', () => {
      expect(subjectMatches(topology.nodeEvents(NODE_ID), topology.nodeEventSubject(NODE_ID, 'PeerOnline'))).toBe(true);
      expect(subjectMatches(topology.nodeEvents(NODE_ID), topology.nodeEventSubject(OTHER_PEER, 'PeerOnline'))).toBe(false);
      expect(subjectMatches(topology.derivedAbout(NODE_ID), topology.derivedSubject('autopilot', NODE_ID, 'AutopilotDecision'))).toBe(true);
      expect(subjectMatches(topology.derivedAbout(NODE_ID), topology.derivedSubject('chanfitness', NODE_ID, 'PeerFitnessChanged'))).toBe(true);
      expect(subjectMatches(topology.derivedAbout(NODE_ID), topology.derivedSubject('autopilot', OTHER_PEER, 'AutopilotDecision'))).toBe(false);
    });

    it.each(Catalogue.filter((definition) => definition.derivedBy === undefined).map((definition) => [definition.type, definition.kind] as const))(
      'subjectFor routes %s (a %s) by its kind',
      (type, kind) => {
        const message = validMessage(type);
        const subject = topology.subjectFor(message, kind);
        expect(subject).toBe(
          kind === 'command' ? topology.commandSubject(NODE_ID, type) : topology.nodeEventSubject(NODE_ID, type),
        );
        expect(streamsHolding(topology, subject)).toEqual([topology.streamName(kind === 'command' ? 'commands' : 'events')]);
      },
    );
  });

  describe('derived events', () => {
    const topology = new Topology();
    it.each(Catalogue.flatMap((definition) => (definition.derivedBy === undefined ? [] : [[definition.type, definition.derivedBy] as const])))(
      '%s is derived by %s and stored in the derived stream',
      (type, service) => {
        const subject = topology.derivedSubject(service, NODE_ID, type);
        expect(streamsHolding(topology, subject)).toEqual([topology.streamName('derived')]);
        expect(subjectMatches(topology.derivedBy(service), subject)).toBe(true);
      },
    );
  });

  describe('namespace', () => {
    const topology = new Topology({ namespace: 'ci_run7' });

    it('prefixes stream names with the uppercased namespace', () => {
      expect(roles.map((role) => topology.streamName(role))).toEqual([
        'CI_RUN7_LNFLEET_EVENTS',
        'CI_RUN7_LNFLEET_COMMANDS',
        'CI_RUN7_LNFLEET_DERIVED',
        'CI_RUN7_LNFLEET_DEADLETTER',
      ]);
      expect(Object.values(topology.streams()).map((spec) => spec.name)).toEqual(roles.map((role) => topology.streamName(role)));
    });

    it('prefixes every subject and filter with the namespace', () => {
      const subjects = [
        topology.nodeEventSubject(NODE_ID, 'ChannelOpened'),
        topology.commandSubject(NODE_ID, 'OpenChannel'),
        topology.derivedSubject('autopilot', NODE_ID, 'ChannelProposed'),
        topology.deadLetterSubject('backup', 'CI_RUN7_LNFLEET_EVENTS'),
        topology.allNodeEvents(),
        topology.nodeEvents(NODE_ID),
        topology.allCommands(),
        topology.commandsOfType('OpenChannel'),
        topology.derivedBy('chanfitness'),
        ...subjectsOf(Object.values(topology.streams())).map(({ filter }) => filter),
      ];
      for (const subject of subjects) expect(subject.startsWith('ci_run7.lnfleet.')).toBe(true);
      expect(topology.nodeEventSubject(NODE_ID, 'ChannelOpened')).toBe(`ci_run7.lnfleet.evt.${NODE_ID}.ChannelOpened`);
      expect(topology.namespace).toBe('ci_run7');
    });

    it('keeps namespaced subjects out of the default streams and vice versa', () => {
      const defaults = new Topology();
      expect(streamsHolding(defaults, topology.nodeEventSubject(NODE_ID, 'PeerOnline'))).toEqual([]);
      expect(streamsHolding(topology, defaults.nodeEventSubject(NODE_ID, 'PeerOnline'))).toEqual([]);
      expect(streamsHolding(topology, topology.nodeEventSubject(NODE_ID, 'PeerOnline'))).toEqual(['CI_RUN7_LNFLEET_EVENTS']);
    });

    it.each(['a', 'fleet_2', 'x'.repeat(32)])('accepts %p', (namespace) => {
      expect(new Topology({ namespace }).namespace).toBe(namespace);
    });

    it.each(['A', 'Fleet', 'a.b', 'a b', 'a-b', '*', '>', 'a>', 'x'.repeat(33), 'flöte', 'a\n'])('rejects namespace %p', (namespace) => {
      expect(() => new Topology({ namespace })).toThrow(/namespace/);
    });
  });

  describe('token validation', () => {
    const topology = new Topology();
    const badNodeIds = [NODE_ID.toUpperCase(), `04${NODE_ID.slice(2)}`, '', 'node.1', '*', '>', `${NODE_ID}.x`];
    const badTokens = ['', 'Channel.Opened', '*', '>', 'a b', 'a\tb', 'Ünicode'];

    it.each(badNodeIds)('rejects node id %p in every node subject', (nodeId) => {
      expect(() => topology.nodeEventSubject(nodeId, 'PeerOnline')).toThrow(/node id/);
      expect(() => topology.commandSubject(nodeId, 'OpenChannel')).toThrow(/node id/);
      expect(() => topology.derivedSubject('autopilot', nodeId, 'X')).toThrow(/node id/);
      expect(() => topology.nodeEvents(nodeId)).toThrow(/node id/);
      expect(() => topology.subjectFor({ nodeId, type: 'PeerOnline' }, 'event')).toThrow(/node id/);
    });

    it.each(badTokens)('rejects subject token %p', (token) => {
      expect(() => topology.nodeEventSubject(NODE_ID, token)).toThrow(/subject token/);
      expect(() => topology.commandSubject(NODE_ID, token)).toThrow(/subject token/);
      expect(() => topology.derivedSubject('backup', NODE_ID, token)).toThrow(/subject token/);
      expect(() => topology.commandsOfType(token)).toThrow(/subject token/);
      expect(() => topology.deadLetterSubject(token, 'LNFLEET_EVENTS')).toThrow(/subject token/);
      expect(() => topology.deadLetterSubject('autopilot', token)).toThrow(/subject token/);
    });

    it('accepts tokens of letters, digits, _ and -', () => {
      expect(topology.deadLetterSubject('node-gateway', 'LNFLEET_EVENTS_2')).toBe('lnfleet.dlq.node-gateway.LNFLEET_EVENTS_2');
    });
  });

  describe('stream specs', () => {
    const streams = new Topology().streams();

    it('keeps the event log forever by default, as limits, with delete and purge denied', () => {
      expect(streams.events).toEqual({
        name: 'LNFLEET_EVENTS',
        subjects: ['lnfleet.evt.>'],
        retention: 'limits',
        storage: 'file',
        maxAgeMs: 0,
        duplicateWindowMs: 2 * HOUR_MS,
        denyDelete: true,
        denyPurge: true,
        replicas: 1,
        description: expect.any(String) as unknown,
      });
    });

    it('runs commands as a work queue kept a week, remembering ids for a day', () => {
      expect(streams.commands).toMatchObject({
        name: 'LNFLEET_COMMANDS',
        subjects: ['lnfleet.cmd.>'],
        retention: 'workqueue',
        storage: 'file',
        maxAgeMs: 7 * DAY_MS,
        duplicateWindowMs: DAY_MS,
        denyDelete: false,
        denyPurge: false,
      });
    });

    it('keeps derived facts forever, with delete denied', () => {
      expect(streams.derived).toMatchObject({
        name: 'LNFLEET_DERIVED',
        subjects: ['lnfleet.drv.>'],
        retention: 'limits',
        maxAgeMs: 0,
        denyDelete: true,
      });
    });

    it('keeps dead letters for 90 days', () => {
      expect(streams.deadLetter).toMatchObject({
        name: 'LNFLEET_DEADLETTER',
        subjects: ['lnfleet.dlq.>'],
        retention: 'limits',
        maxAgeMs: 90 * DAY_MS,
      });
    });

    it('describes every stream and keeps a duplicate window on each', () => {
      for (const spec of Object.values(streams)) {
        expect(spec.description.length).toBeGreaterThan(0);
        expect(spec.duplicateWindowMs).toBeGreaterThan(0);
        expect(spec.storage).toBe('file');
      }
    });

    it('applies replicas to every stream and eventsMaxAgeMs to the event log only', () => {
      const tuned = new Topology({ replicas: 3, eventsMaxAgeMs: 365 * DAY_MS }).streams();
      for (const spec of Object.values(tuned)) expect(spec.replicas).toBe(3);
      expect(tuned.events.maxAgeMs).toBe(365 * DAY_MS);
      expect(tuned.derived.maxAgeMs).toBe(0);
      expect(tuned.commands.maxAgeMs).toBe(7 * DAY_MS);
      expect(tuned.deadLetter.maxAgeMs).toBe(90 * DAY_MS);
    });

    it('gives every role a distinct stream name', () => {
      const names = Object.values(streams).map((spec) => spec.name);
      expect(new Set(names).size).toBe(roles.length);
      expect(Object.keys(streams).sort()).toEqual([...roles].sort());
    });

    it.each([[''], ['ci_run7'], ['lnfleet']])('has no two streams with overlapping subject filters (namespace %p)', (namespace) => {
      const filters = subjectsOf(Object.values(new Topology({ namespace }).streams()));
      for (const [i, a] of filters.entries()) {
        for (const b of filters.slice(i + 1)) {
          expect({ a, b, overlap: filtersOverlap(a.filter, b.filter) }).toEqual({ a, b, overlap: false });
        }
      }
    });

    it('keeps streams of different namespaces from overlapping each other', () => {
      const filters = subjectsOf(['', 'lnfleet', 'evt', 'ci_run7'].flatMap((namespace) => Object.values(new Topology({ namespace }).streams())));
      for (const [i, a] of filters.entries()) {
        for (const b of filters.slice(i + 1)) {
          expect({ a, b, overlap: filtersOverlap(a.filter, b.filter) }).toEqual({ a, b, overlap: false });
        }
      }
    });

    it('stores every subject the topology builds in exactly one stream', () => {
      const topology = new Topology();
      const subjects = [
        ...Catalogue.map((definition) =>
          definition.derivedBy === undefined
            ? topology.subjectFor({ nodeId: NODE_ID, type: definition.type }, definition.kind)
            : topology.derivedSubject(definition.derivedBy, NODE_ID, definition.type),
        ),
        ...services.map((service) => topology.derivedSubject(service, NODE_ID, 'Derived')),
        topology.deadLetterSubject('autopilot', topology.streamName('events')),
      ];
      for (const subject of subjects) expect(streamsHolding(topology, subject)).toHaveLength(1);
      expect(streamsHolding(topology, topology.deadLetterSubject('backup', 'LNFLEET_DERIVED'))).toEqual(['LNFLEET_DEADLETTER']);
      expect(streamsHolding(topology, topology.derivedSubject('backup', NODE_ID, 'BackupStored'))).toEqual(['LNFLEET_DERIVED']);
    });
  });
});
