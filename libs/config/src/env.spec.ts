import { z } from 'zod';
import { booleanFlag, ConfigError, durationMs, envVariableNames, parseEnv, positiveInt, type Env } from './env.js';

const Schema = z.strictObject({
  NAME: z.string(),
  GREETING: z.string().default('hello'),
  LIMIT: positiveInt.default(10),
  TIMEOUT_MS: durationMs.optional(),
  VERBOSE: booleanFlag.default(false),
  API_KEY: z.string().regex(/^key_[a-z0-9]{8}$/, 'must be key_ and 8 lowercase characters').optional(),
});

/** thrown runs `work` and returns the ConfigError it threw, failing the test if it threw nothing else. */
function thrown(work: () => unknown): ConfigError {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

describe('parseEnv', () => {
  it('returns the parsed values with defaults for unset variables', () => {
    expect(parseEnv(Schema, { NAME: 'fleet' })).toEqual({ NAME: 'fleet', GREETING: 'hello', LIMIT: 10, VERBOSE: false });
  });

  it('coerces numbers and flags from their string form', () => {
    expect(parseEnv(Schema, { NAME: 'x', LIMIT: '3', TIMEOUT_MS: '1500', VERBOSE: 'yes' })).toMatchObject({ LIMIT: 3, TIMEOUT_MS: 1500, VERBOSE: true });
    for (const [text, value] of [['true', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false]] as const) {
      expect(parseEnv(Schema, { NAME: 'x', VERBOSE: text }).VERBOSE).toBe(value);
    }
  });

  it('treats an empty string as unset, so the default applies', () => {
    const parsed = parseEnv(Schema, { NAME: 'x', GREETING: '', LIMIT: '', TIMEOUT_MS: '', VERBOSE: '' });
    expect(parsed).toEqual({ NAME: 'x', GREETING: 'hello', LIMIT: 10, VERBOSE: false });
    expect('TIMEOUT_MS' in parsed).toBe(false);
  });

  it('reports an empty required variable as missing, naming it', () => {
    const error = thrown(() => parseEnv(Schema, { NAME: '' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.field).toBe('NAME');
    expect(error.message).toContain('NAME');
  });

  it('ignores variables the schema does not name (the rest of the process environment)', () => {
    const env: Env = { NAME: 'x', PATH: '/usr/bin', HOME: '/root', UNRELATED: '' };
    expect(parseEnv(Schema, env)).toEqual({ NAME: 'x', GREETING: 'hello', LIMIT: 10, VERBOSE: false });
  });

  it.each([
    ['LIMIT', 'abc'],
    ['LIMIT', '0'],
    ['LIMIT', '-4'],
    ['LIMIT', '2.5'],
    ['TIMEOUT_MS', '1.5'],
    ['TIMEOUT_MS', '-1'],
    ['VERBOSE', 'maybe'],
  ])('rejects %s=%s with a ConfigError naming the variable', (field, value) => {
    const error = thrown(() => parseEnv(Schema, { NAME: 'x', [field]: value }));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(new RegExp(`^invalid configuration: ${field}: .+`));
  });

  it('says what is wrong in words', () => {
    expect(thrown(() => parseEnv(Schema, { NAME: 'x', LIMIT: '2.5' })).problem).toBe('must be a whole number');
    expect(thrown(() => parseEnv(Schema, { NAME: 'x', LIMIT: '0' })).problem).toBe('must be positive');
    expect(thrown(() => parseEnv(Schema, { NAME: 'x', TIMEOUT_MS: '1.5' })).problem).toBe('must be a whole number of milliseconds');
    expect(thrown(() => parseEnv(Schema, { NAME: 'x', VERBOSE: 'maybe' })).problem).toBe('must be true or false');
  });

  it.each([
    ['API_KEY', 'key_SECRET-VALUE-1234'],
    ['LIMIT', 'hunter2-secret'],
    ['VERBOSE', 'sup3r-s3cret'],
  ])('never echoes the rejected value of %s', (field, secret) => {
    const error = thrown(() => parseEnv(Schema, { NAME: 'x', [field]: secret }));
    expect(error.field).toBe(field);
    expect(error.message).not.toContain(secret);
    expect(error.problem).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
  });

  it('reports the first problem when several variables are wrong', () => {
    const error = thrown(() => parseEnv(Schema, { LIMIT: 'abc' }));
    expect(['NAME', 'LIMIT']).toContain(error.field);
  });
});

describe('envVariableNames', () => {
  it('lists every key of every schema once, sorted', () => {
    const Other = z.object({ LIMIT: positiveInt, ZONE: z.string().optional() });
    expect(envVariableNames(Schema, Other)).toEqual(['API_KEY', 'GREETING', 'LIMIT', 'NAME', 'TIMEOUT_MS', 'VERBOSE', 'ZONE']);
  });

  it('keeps the keys of a refined schema', () => {
    const Refined = z.object({ A: z.string().optional(), B: z.string().optional() }).superRefine(() => undefined);
    expect(envVariableNames(Refined)).toEqual(['A', 'B']);
  });
});
