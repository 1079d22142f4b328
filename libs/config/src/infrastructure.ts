import { z } from 'zod';
import { parseEnv, positiveInt, type Env } from './env.js';

/** DEFAULT_NATS_URL is the local NATS server the README's commands expect. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** DEFAULT_DATABASE_URL is the local PostgreSQL the README's commands expect (trust auth). */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const natsServer = z
  .string()
  .regex(/^(nats|tls|wss?):\/\/[^\s,]+$|^[^\s,:/]+:\d+$/, 'must be a comma-separated list of nats://host:port (or tls://, host:port)');

/** NatsEnv is how a service finds and authenticates to NATS. */
export const NatsEnv = z
  .strictObject({
    NATS_URL: z
      .string()
      .default(DEFAULT_NATS_URL)
      .transform((value) => value.split(',').map((server) => server.trim()))
      .pipe(z.array(natsServer).min(1)),
    NATS_USER: z.string().optional(),
    NATS_PASSWORD: z.string().optional(),
    NATS_TOKEN: z.string().optional(),
    NATS_NKEY_SEED: z.string().regex(/^SU[A-Z2-7]{56}$/, 'must be a user nkey seed (SU...)').optional(),
    NATS_CREDS_FILE: z.string().optional(),
    NATS_TLS_CA_FILE: z.string().optional(),
    NATS_TLS_CERT_FILE: z.string().optional(),
    NATS_TLS_KEY_FILE: z.string().optional(),
    LNFLEET_NAMESPACE: z.string().regex(/^[a-z0-9_]{1,32}$/, 'must be 1-32 characters of a-z 0-9 _').optional(),
    LNFLEET_STREAM_REPLICAS: positiveInt.max(5, 'at most 5').default(1),
  })
  .superRefine((env, ctx) => {
    const methods = [env.NATS_USER !== undefined, env.NATS_TOKEN !== undefined, env.NATS_NKEY_SEED !== undefined, env.NATS_CREDS_FILE !== undefined];
    if (methods.filter(Boolean).length > 1) {
      ctx.addIssue({ code: 'custom', path: ['NATS_USER'], message: 'set only one of NATS_USER/NATS_TOKEN/NATS_NKEY_SEED/NATS_CREDS_FILE' });
    }
    if ((env.NATS_USER === undefined) !== (env.NATS_PASSWORD === undefined)) {
      ctx.addIssue({ code: 'custom', path: [env.NATS_USER === undefined ? 'NATS_USER' : 'NATS_PASSWORD'], message: 'NATS_USER and NATS_PASSWORD go together' });
    }
    if ((env.NATS_TLS_CERT_FILE === undefined) !== (env.NATS_TLS_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.NATS_TLS_CERT_FILE === undefined ? 'NATS_TLS_CERT_FILE' : 'NATS_TLS_KEY_FILE'],
        message: 'NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together',
      });
    }
  });

/** NatsConnectionConfig is the validated NATS part of a service's configuration. */
export interface NatsConnectionConfig {
  readonly servers: readonly string[];
  readonly auth:
    | { readonly kind: 'none' }
    | { readonly kind: 'userPassword'; readonly user: string; readonly password: string }
    | { readonly kind: 'token'; readonly token: string }
    | { readonly kind: 'nkey'; readonly seed: string }
    | { readonly kind: 'credsFile'; readonly path: string };
  readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly namespace?: string;
  readonly streamReplicas: number;
}

/** loadNatsConfig reads NATS_* variables; a bad value throws a ConfigError naming the variable. */
export function loadNatsConfig(env: Env): NatsConnectionConfig {
  const parsed = parseEnv(NatsEnv, env);
  const auth: NatsConnectionConfig['auth'] =
    parsed.NATS_USER !== undefined && parsed.NATS_PASSWORD !== undefined
      ? { kind: 'userPassword', user: parsed.NATS_USER, password: parsed.NATS_PASSWORD }
      : parsed.NATS_TOKEN !== undefined
        ? { kind: 'token', token: parsed.NATS_TOKEN }
        : parsed.NATS_NKEY_SEED !== undefined
          ? { kind: 'nkey', seed: parsed.NATS_NKEY_SEED }
          : parsed.NATS_CREDS_FILE !== undefined
            ? { kind: 'credsFile', path: parsed.NATS_CREDS_FILE }
            : { kind: 'none' };
  const tlsFiles = { caFile: parsed.NATS_TLS_CA_FILE, certFile: parsed.NATS_TLS_CERT_FILE, keyFile: parsed.NATS_TLS_KEY_FILE };
  const usesTls = Object.values(tlsFiles).some((file) => file !== undefined) || parsed.NATS_URL.some((s) => s.startsWith('tls://'));
  return {
    servers: parsed.NATS_URL,
    auth,
    ...(usesTls ? { tls: withoutUndefined(tlsFiles) } : {}),
    ...(parsed.LNFLEET_NAMESPACE !== undefined ? { namespace: parsed.LNFLEET_NAMESPACE } : {}),
    streamReplicas: parsed.LNFLEET_STREAM_REPLICAS,
  };
}

/** DatabaseEnv is how a service finds PostgreSQL. */
export const DatabaseEnv = z.strictObject({
  DATABASE_URL: z
    .string()
    .default(DEFAULT_DATABASE_URL)
    .refine((value) => /^postgres(ql)?:\/\/[^\s]+$/.test(value), 'must be a postgres://user@host:port/database URL'),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier').optional(),
});

/** DatabaseConfig is the validated PostgreSQL part of a service's configuration. */
export interface DatabaseConfig {
  readonly url: string;
  /** schema overrides the service's own schema name (used by replays and tests). */
  readonly schema?: string;
}

/** loadDatabaseConfig reads DATABASE_URL and DATABASE_SCHEMA. */
export function loadDatabaseConfig(env: Env): DatabaseConfig {
  const parsed = parseEnv(DatabaseEnv, env);
  return { url: parsed.DATABASE_URL, ...(parsed.DATABASE_SCHEMA !== undefined ? { schema: parsed.DATABASE_SCHEMA } : {}) };
}

/**
 * redactUrl hides the password in a connection URL so it can be logged: the one in the user info
 * (which ends at the last '@' before the path, as PostgreSQL and WHATWG URLs read it, so an
 * unescaped '@' in a password is hidden too) and a `password=` query parameter.
 */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/?#]*):[^/?#]*@/, '//$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}

function withoutUndefined<T extends Record<string, string | undefined>>(record: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: string };
}
