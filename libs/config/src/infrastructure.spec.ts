import { ConfigError, type Env } from './env.js';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL, loadDatabaseConfig, loadNatsConfig, redactUrl } from './infrastructure.js';

/** A syntactically valid user nkey seed ('SU' and 56 base32 characters); never a real key. */
const SEED = `SU${'A'.repeat(56)}`;

/** configError runs `work` and returns the ConfigError it threw. */
function configError(work: () => unknown): ConfigError {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** expectRejected checks that `env` is rejected naming `field`, and that no secret leaks into the error. */
function expectRejected(env: Env, field: string, secrets: readonly string[] = []): ConfigError {
  const error = configError(() => loadNatsConfig(env));
  expect(error.field).toBe(field);
  expect(error.message).toContain(field);
  for (const secret of secrets) expect(error.message).not.toContain(secret);
  return error;
}

describe('loadNatsConfig', () => {
  it('defaults to the local NATS without auth, TLS or namespace, one replica', () => {
    const config = loadNatsConfig({});
    expect(config).toEqual({ servers: [DEFAULT_NATS_URL], auth: { kind: 'none' }, streamReplicas: 1 });
    expect(DEFAULT_NATS_URL).toBe('nats://127.0.0.1:4222');
    expect('tls' in config).toBe(false);
    expect('namespace' in config).toBe(false);
  });

  it('treats empty variables as unset', () => {
    const config = loadNatsConfig({
      NATS_URL: '',
      NATS_USER: '',
      NATS_PASSWORD: '',
      NATS_TOKEN: '',
      NATS_NKEY_SEED: '',
      NATS_CREDS_FILE: '',
      NATS_TLS_CA_FILE: '',
      NATS_TLS_CERT_FILE: '',
      NATS_TLS_KEY_FILE: '',
      LNFLEET_NAMESPACE: '',
      LNFLEET_STREAM_REPLICAS: '',
    });
    expect(config).toEqual({ servers: [DEFAULT_NATS_URL], auth: { kind: 'none' }, streamReplicas: 1 });
  });

  it('ignores unrelated environment variables', () => {
    expect(loadNatsConfig({ PATH: '/usr/bin', DATABASE_URL: 'postgres://x@y/z', NATS_SOMETHING_ELSE: 'x' }).servers).toEqual([DEFAULT_NATS_URL]);
  });

  it('splits a comma-separated server list and trims the spaces around entries', () => {
    const config = loadNatsConfig({ NATS_URL: 'nats://n1.example:4222, nats://n2.example:4222 ,n3.example:4222' });
    expect(config.servers).toEqual(['nats://n1.example:4222', 'nats://n2.example:4222', 'n3.example:4222']);
  });

  it.each(['nats://10.0.0.1:4222', 'tls://nats.example:4443', 'ws://nats.example:8080', 'wss://nats.example:443', 'nats.example:4222'])('accepts the server %s', (url) => {
    expect(loadNatsConfig({ NATS_URL: url }).servers).toEqual([url]);
  });

  it.each(['http://nats.example:4222', 'nats.example', 'nats://a:4222,,nats://b:4222', 'nats://a b:4222', ' , '])('rejects NATS_URL=%j naming the variable', (url) => {
    const error = configError(() => loadNatsConfig({ NATS_URL: url }));
    expect(error.field.startsWith('NATS_URL')).toBe(true);
    expect(error.message).toContain('NATS_URL');
    expect(error.message).toContain('nats://host:port');
  });

  it('does not echo a rejected NATS_URL, which may carry credentials', () => {
    const error = configError(() => loadNatsConfig({ NATS_URL: 'http://alice:s3cr3t-pw@nats.example:4222' }));
    expect(error.message).not.toContain('s3cr3t-pw');
  });

  describe('auth', () => {
    it('takes a user and password', () => {
      expect(loadNatsConfig({ NATS_USER: 'alice', NATS_PASSWORD: 'pw' }).auth).toEqual({ kind: 'userPassword', user: 'alice', password: 'pw' });
    });

    it('takes a token', () => {
      expect(loadNatsConfig({ NATS_TOKEN: 'tok123' }).auth).toEqual({ kind: 'token', token: 'tok123' });
    });

    it('takes a user nkey seed', () => {
      expect(loadNatsConfig({ NATS_NKEY_SEED: SEED }).auth).toEqual({ kind: 'nkey', seed: SEED });
    });

    it.each([
      ['an account seed', `SA${'A'.repeat(56)}`],
      ['a public user key', `U${'A'.repeat(55)}`],
      ['a seed that is too short', `SU${'A'.repeat(55)}`],
      ['a seed that is too long', `SU${'A'.repeat(57)}`],
      ['a lowercase seed', `su${'a'.repeat(56)}`],
      ['a seed with characters outside base32', `SU${'A'.repeat(55)}1`],
    ])('rejects %s as NATS_NKEY_SEED without echoing it', (_what, seed) => {
      const error = expectRejected({ NATS_NKEY_SEED: seed }, 'NATS_NKEY_SEED', [seed]);
      expect(error.problem).toContain('SU');
    });

    it('takes a creds file', () => {
      expect(loadNatsConfig({ NATS_CREDS_FILE: '/etc/nats/fleet.creds' }).auth).toEqual({ kind: 'credsFile', path: '/etc/nats/fleet.creds' });
    });

    it.each([
      ['user and token', { NATS_USER: 'alice', NATS_PASSWORD: 'pw-secret', NATS_TOKEN: 'tok-secret' }],
      ['user and nkey', { NATS_USER: 'alice', NATS_PASSWORD: 'pw-secret', NATS_NKEY_SEED: SEED }],
      ['user and creds', { NATS_USER: 'alice', NATS_PASSWORD: 'pw-secret', NATS_CREDS_FILE: '/c.creds' }],
      ['token and nkey', { NATS_TOKEN: 'tok-secret', NATS_NKEY_SEED: SEED }],
      ['token and creds', { NATS_TOKEN: 'tok-secret', NATS_CREDS_FILE: '/c.creds' }],
      ['nkey and creds', { NATS_NKEY_SEED: SEED, NATS_CREDS_FILE: '/c.creds' }],
      ['all four', { NATS_USER: 'alice', NATS_PASSWORD: 'pw-secret', NATS_TOKEN: 'tok-secret', NATS_NKEY_SEED: SEED, NATS_CREDS_FILE: '/c.creds' }],
    ])('rejects %s together, naming NATS_USER and the other choices', (_what, env: Env) => {
      const error = expectRejected(env, 'NATS_USER', ['pw-secret', 'tok-secret', SEED]);
      expect(error.problem).toMatch(/only one of NATS_USER\/NATS_TOKEN\/NATS_NKEY_SEED\/NATS_CREDS_FILE/);
    });

    it('rejects a user without a password, naming NATS_PASSWORD', () => {
      const error = expectRejected({ NATS_USER: 'alice' }, 'NATS_PASSWORD');
      expect(error.problem).toContain('go together');
    });

    it('rejects a user with an empty password, naming NATS_PASSWORD', () => {
      expectRejected({ NATS_USER: 'alice', NATS_PASSWORD: '' }, 'NATS_PASSWORD');
    });

    it('rejects a password without a user, naming NATS_USER and not the password', () => {
      expectRejected({ NATS_PASSWORD: 'pw-secret' }, 'NATS_USER', ['pw-secret']);
    });
  });

  describe('TLS', () => {
    it('is off for nats:// servers without TLS files', () => {
      expect(loadNatsConfig({ NATS_URL: 'nats://a:4222,nats://b:4222' }).tls).toBeUndefined();
    });

    it('turns on for a tls:// server, with no files', () => {
      expect(loadNatsConfig({ NATS_URL: 'tls://nats.example:4443' }).tls).toEqual({});
    });

    it('turns on when any server of the list is tls://', () => {
      expect(loadNatsConfig({ NATS_URL: 'nats://a:4222,tls://b:4443' }).tls).toEqual({});
    });

    it('turns on with a CA file alone', () => {
      expect(loadNatsConfig({ NATS_TLS_CA_FILE: '/ca.pem' }).tls).toEqual({ caFile: '/ca.pem' });
    });

    it('takes a client certificate with its key', () => {
      const config = loadNatsConfig({ NATS_TLS_CA_FILE: '/ca.pem', NATS_TLS_CERT_FILE: '/cert.pem', NATS_TLS_KEY_FILE: '/key.pem' });
      expect(config.tls).toEqual({ caFile: '/ca.pem', certFile: '/cert.pem', keyFile: '/key.pem' });
    });

    it('rejects a certificate without its key, naming NATS_TLS_KEY_FILE', () => {
      expectRejected({ NATS_TLS_CERT_FILE: '/cert.pem' }, 'NATS_TLS_KEY_FILE');
    });

    it('rejects a key without its certificate, naming NATS_TLS_CERT_FILE', () => {
      expectRejected({ NATS_TLS_KEY_FILE: '/key.pem' }, 'NATS_TLS_CERT_FILE');
    });
  });

  describe('LNFLEET_NAMESPACE', () => {
    it.each(['a', 'fleet_1', 'x'.repeat(32)])('accepts %j', (namespace) => {
      expect(loadNatsConfig({ LNFLEET_NAMESPACE: namespace }).namespace).toBe(namespace);
    });

    it.each(['PROD', 'x'.repeat(33), 'my-fleet', 'my.fleet', 'fleet 1', 'flëet', 'a>'])('rejects %j naming the variable', (namespace) => {
      const error = expectRejected({ LNFLEET_NAMESPACE: namespace }, 'LNFLEET_NAMESPACE');
      expect(error.problem).toContain('1-32 characters');
    });
  });

  describe('LNFLEET_STREAM_REPLICAS', () => {
    it.each([
      ['1', 1],
      ['3', 3],
      ['5', 5],
    ])('accepts %s', (text, replicas) => {
      expect(loadNatsConfig({ LNFLEET_STREAM_REPLICAS: text }).streamReplicas).toBe(replicas);
    });

    it.each(['0', '6', '-1', '2.5', 'three'])('rejects %j naming the variable', (text) => {
      expectRejected({ LNFLEET_STREAM_REPLICAS: text }, 'LNFLEET_STREAM_REPLICAS');
    });

    it('says the upper bound', () => {
      expect(expectRejected({ LNFLEET_STREAM_REPLICAS: '6' }, 'LNFLEET_STREAM_REPLICAS').problem).toBe('at most 5');
    });
  });
});

describe('loadDatabaseConfig', () => {
  it('defaults to the local PostgreSQL and no schema override', () => {
    expect(loadDatabaseConfig({})).toEqual({ url: DEFAULT_DATABASE_URL });
    expect(loadDatabaseConfig({ DATABASE_URL: '', DATABASE_SCHEMA: '' })).toEqual({ url: DEFAULT_DATABASE_URL });
    expect(DEFAULT_DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/postgres');
  });

  it.each(['postgres://fleet:pw@db.example:5432/fleet', 'postgresql://fleet@db.example/fleet?sslmode=require'])('accepts %s', (url) => {
    expect(loadDatabaseConfig({ DATABASE_URL: url })).toEqual({ url });
  });

  it.each(['mysql://fleet:pw@db.example/fleet', 'db.example:5432', 'postgres://fleet@db example/fleet', 'postgres:/db.example/fleet'])('rejects DATABASE_URL=%j naming the variable', (url) => {
    const error = configError(() => loadDatabaseConfig({ DATABASE_URL: url }));
    expect(error.field).toBe('DATABASE_URL');
    expect(error.problem).toContain('postgres://');
  });

  it('does not echo a rejected DATABASE_URL with its password', () => {
    const error = configError(() => loadDatabaseConfig({ DATABASE_URL: 'mysql://fleet:hunter2-pw@db.example/fleet' }));
    expect(error.message).not.toContain('hunter2-pw');
  });

  it('takes a schema override', () => {
    expect(loadDatabaseConfig({ DATABASE_SCHEMA: 'replay_1' })).toEqual({ url: DEFAULT_DATABASE_URL, schema: 'replay_1' });
  });

  it.each(['Replay', '1replay', 'replay-1', 'x'.repeat(64), 'a"; DROP SCHEMA public; --'])('rejects DATABASE_SCHEMA=%j', (schema) => {
    expect(configError(() => loadDatabaseConfig({ DATABASE_SCHEMA: schema })).field).toBe('DATABASE_SCHEMA');
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://fleet:hunter2@db.example:5432/fleet', 'postgres://fleet:***@db.example:5432/fleet'],
    ['nats://alice:secret@127.0.0.1:4222', 'nats://alice:***@127.0.0.1:4222'],
    ['postgres://fleet:@db.example/fleet', 'postgres://fleet:***@db.example/fleet'],
    ['postgres://fleet:p%40ss%2Fw0rd@db.example/fleet', 'postgres://fleet:***@db.example/fleet'],
  ])('hides the password in %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it.each([DEFAULT_DATABASE_URL, 'postgres://db.example:5432/fleet', 'nats://127.0.0.1:4222', 'postgresql://fleet@db.example/fleet?sslmode=require'])(
    'leaves %s without a password unchanged',
    (url) => {
      expect(redactUrl(url)).toBe(url);
    },
  );

  it('hides a password that contains an unescaped @ (PostgreSQL accepts it; the last @ ends the user info)', () => {
    const redacted = redactUrl('postgres://fleet:p@ss@db.example:5432/fleet');
    expect(redacted).toBe('postgres://fleet:***@db.example:5432/fleet');
    expect(redacted).not.toContain('ss@');
  });

  it('hides a password given without a user', () => {
    expect(redactUrl('postgres://:hunter2@db.example/fleet')).toBe('postgres://:***@db.example/fleet');
  });

  it('hides a password given as a query parameter', () => {
    expect(redactUrl('postgres://fleet@db.example/fleet?sslmode=require&password=hunter2')).toBe('postgres://fleet@db.example/fleet?sslmode=require&password=***');
    expect(redactUrl('postgres://db.example/fleet?password=hunter2&sslmode=require')).toBe('postgres://db.example/fleet?password=***&sslmode=require');
  });

  it('does not treat an @ in the path or query as the end of user info', () => {
    const url = 'postgres://db.example:5432/fleet?application_name=a:b@c';
    expect(redactUrl(url)).toBe(url);
  });
});
