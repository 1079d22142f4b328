import { z } from 'zod';

/** ConfigError reports a bad configuration at start, naming the variable and what is wrong with it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`invalid configuration: ${field}: ${problem}`);
  }
}

/** Env is the process environment or a test's stand-in for it. */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * parseEnv validates environment variables against a schema whose keys are the variable names.
 * Empty strings count as unset, so `FOO=` falls back to the default instead of failing oddly.
 * The first problem is thrown as a ConfigError naming the variable; values are never echoed,
 * because some of them are secrets.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env): z.infer<S> {
  const present: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') present[key] = value;
  }
  const result = schema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join('.') ?? '(unknown)';
    throw new ConfigError(field, issue?.message ?? 'invalid');
  }
  return result.data;
}

/** durationMs parses a positive integer number of milliseconds from an env string. */
export const durationMs = z.coerce.number().int('must be a whole number of milliseconds').positive('must be positive');

/** positiveInt parses a positive integer from an env string. */
export const positiveInt = z.coerce.number().int('must be a whole number').positive('must be positive');

/** booleanFlag accepts true/false/1/0/yes/no. */
export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/**
 * envVariableNames lists the variables the given schemas read, sorted and without repeats. Each
 * service exports its list (src/env-variables.ts) so that deployment manifests can be checked
 * against what the code actually reads.
 */
export function envVariableNames(...schemas: readonly z.ZodObject[]): readonly string[] {
  return [...new Set(schemas.flatMap((schema) => Object.keys(schema.shape)))].sort();
}
