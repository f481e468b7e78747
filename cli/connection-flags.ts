// warmctl's global connection options, named as the Temporal CLI names them. Each one stands for
// the environment variable Temporal's envconfig (or this project) reads, so a flag beats the
// environment, which beats the profile in the config file: Temporal's own precedence.
import type { Command } from 'commander';
import { CommanderError, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { instanceProblem } from '../core/workflow-ids';
import { redisKeys } from '../store/redis-keys';

interface FlagSpec {
  /** Commander's flag syntax. */
  flags: string;
  /** The camel-case key commander stores it under. */
  key: string;
  /** The environment variable it overrides. */
  variable: string;
  description: string;
  parse?: (value: string) => string;
  /** The value may hold a credential: a refusal says what is wrong without quoting it. */
  secret?: boolean;
}

function nonEmpty(what: string) {
  return (value: string) => {
    if (value.trim() === '') throw new InvalidArgumentError(`${what} must not be empty`);
    return value.trim();
  };
}

function hostPort(value: string): string {
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):\d{1,5}$/.test(value))
    throw new InvalidArgumentError('must be host:port, e.g. localhost:7233');
  return value;
}

function readableFile(value: string): string {
  try {
    readFileSync(value);
  } catch (err) {
    throw new InvalidArgumentError(`${value} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return value;
}

function redisUrl(value: string): string {
  const first = value.split(',')[0]?.trim() ?? '';
  if (!/^rediss?:\/\/[^\s]+$/.test(first)) throw new InvalidArgumentError('must be a redis:// or rediss:// URL');
  return value;
}

function prefix(value: string): string {
  try {
    redisKeys(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

function instance(value: string): string {
  const problem = instanceProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

/** Options that take a value, in the order help shows them. */
export const VALUE_FLAGS: readonly FlagSpec[] = [
  {
    flags: '--address <host:port>',
    key: 'address',
    variable: 'TEMPORAL_ADDRESS',
    description: 'Temporal frontend (default localhost:7233)',
    parse: hostPort,
  },
  {
    flags: '-n, --namespace <namespace>',
    key: 'namespace',
    variable: 'TEMPORAL_NAMESPACE',
    description: 'Temporal namespace (default "default")',
    parse: nonEmpty('a namespace'),
  },
  {
    flags: '--profile <name>',
    key: 'profile',
    variable: 'TEMPORAL_PROFILE',
    description: 'profile in the Temporal config file',
    parse: nonEmpty('a profile'),
  },
  {
    flags: '--config-file <path>',
    key: 'configFile',
    variable: 'TEMPORAL_CONFIG_FILE',
    description: 'Temporal config file (TOML; default ~/.config/temporalio/temporal.toml)',
    parse: readableFile,
  },
  {
    flags: '--api-key <key>',
    key: 'apiKey',
    variable: 'TEMPORAL_API_KEY',
    description: 'API key (turns TLS on)',
    parse: nonEmpty('an API key'),
    secret: true,
  },
  {
    flags: '--tls-cert-path <path>',
    key: 'tlsCertPath',
    variable: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
    description: 'client certificate for mTLS',
    parse: readableFile,
  },
  {
    flags: '--tls-cert-data <pem>',
    key: 'tlsCertData',
    variable: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
    description: 'client certificate PEM',
    parse: nonEmpty('a certificate'),
  },
  {
    flags: '--tls-key-path <path>',
    key: 'tlsKeyPath',
    variable: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
    description: "client certificate's private key",
    parse: readableFile,
  },
  {
    flags: '--tls-key-data <pem>',
    key: 'tlsKeyData',
    variable: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
    description: 'private key PEM',
    parse: nonEmpty('a key'),
    secret: true,
  },
  {
    flags: '--tls-ca-path <path>',
    key: 'tlsCaPath',
    variable: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    description: "CA of the server's certificate",
    parse: readableFile,
  },
  {
    flags: '--tls-ca-data <pem>',
    key: 'tlsCaData',
    variable: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
    description: 'server CA PEM',
    parse: nonEmpty('a certificate'),
  },
  {
    flags: '--tls-server-name <name>',
    key: 'tlsServerName',
    variable: 'TEMPORAL_TLS_SERVER_NAME',
    description: "the name the server's certificate must carry",
    parse: nonEmpty('a server name'),
  },
  {
    flags: '--task-queue <queue>',
    key: 'taskQueue',
    variable: 'TEMPORAL_TASK_QUEUE',
    description: 'task queue of the workers (default cache-warming)',
    parse: nonEmpty('a task queue'),
  },
  {
    flags: '--redis-url <url>',
    key: 'redisUrl',
    variable: 'REDIS_URL',
    description: 'Redis (default redis://127.0.0.1:6379)',
    parse: redisUrl,
    secret: true,
  },
  {
    flags: '--prefix <prefix>',
    key: 'prefix',
    variable: 'WARMING_PREFIX',
    description: "prefix of the system's Redis keys (default cw:)",
    parse: prefix,
  },
  {
    flags: '--instance <name>',
    key: 'instance',
    variable: 'WARMING_INSTANCE',
    description: 'name in front of the workflow ids, for several deployments in one namespace (default none)',
    parse: instance,
  },
];

/** On/off options; `--tls=false` and `--no-tls` turn TLS off as the Temporal CLI's `--tls=false` does. */
export const SWITCH_FLAGS: readonly FlagSpec[] = [
  {
    flags: '--tls',
    key: 'tls',
    variable: 'TEMPORAL_TLS',
    description: 'TLS without client certificates (on with an API key or any TLS option; --tls=false turns it off)',
  },
  {
    flags: '--tls-disable-host-verification',
    key: 'tlsDisableHostVerification',
    variable: 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
    description: 'accept a server certificate issued for another host name (the chain is still verified)',
  },
];

const EXCLUSIVE: [string, string][] = [
  ['tlsCertPath', 'tlsCertData'],
  ['tlsKeyPath', 'tlsKeyData'],
  ['tlsCaPath', 'tlsCaData'],
];

/** Adds the connection options to warmctl's top-level command (commander: usable before or after a subcommand). */
export function addConnectionFlags(program: Command): Command {
  for (const spec of VALUE_FLAGS) {
    const parse = spec.parse ?? ((value: string) => value);
    program.option(
      spec.flags,
      `${spec.description}; env ${spec.variable}`,
      spec.secret ? withoutEcho(spec, parse) : parse,
    );
  }
  for (const spec of SWITCH_FLAGS) program.option(spec.flags, `${spec.description}; env ${spec.variable}`);
  program.option('--no-tls', 'turn TLS off even with an API key or a profile that sets it');
  return program;
}

/**
 * `parse`, refusing without the value: commander quotes a refused argument in its message
 * ("argument 'redis://:pw@bad host' is invalid"), and a password must never reach stderr.
 */
function withoutEcho(spec: FlagSpec, parse: (value: string) => string): (value: string) => string {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      if (!(err instanceof InvalidArgumentError)) throw err;
      const flag = spec.flags.split(' ').find((part) => part.startsWith('--')) ?? spec.flags;
      throw new CommanderError(
        2,
        'commander.invalidArgument.redacted',
        `option ${flag}: ${err.message} (value not shown)`,
      );
    }
  };
}

/** `--tls=false`, `--tls=true` (the Temporal CLI's spelling) as commander takes them. */
export function normalizeSwitches(argv: string[]): string[] {
  return argv.flatMap((arg) => {
    const match = /^--(tls|tls-disable-host-verification)=(.*)$/.exec(arg);
    if (!match) return [arg];
    const [, name, value] = match;
    if (value === 'true' || value === '1') return [`--${name}`];
    if (value === 'false' || value === '0') return name === 'tls' ? ['--no-tls'] : [];
    return [arg]; // commander refuses it: "option '--tls' does not take an argument"
  });
}

export class ConflictingFlagsError extends Error {}

/**
 * The environment warmctl runs with: `env` with each given flag written over its variable. Throws
 * ConflictingFlagsError for a path and data form of the same file.
 */
export function environmentWithFlags(
  options: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  for (const [a, b] of EXCLUSIVE) {
    if (options[a] !== undefined && options[b] !== undefined) {
      throw new ConflictingFlagsError(`${flagName(a)} and ${flagName(b)} exclude each other`);
    }
  }
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const spec of VALUE_FLAGS) {
    const value = options[spec.key];
    if (typeof value === 'string') merged[spec.variable] = value;
  }
  // With both --tls and --no-tls defined, commander leaves tls undefined unless one is given.
  if (typeof options.tls === 'boolean') merged.TEMPORAL_TLS = options.tls ? 'true' : 'false';
  if (options.tlsDisableHostVerification === true) merged.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION = 'true';
  // A path flag replaces the variable's data form too (and the other way round): one source per file.
  for (const [pathKey, dataKey] of EXCLUSIVE) {
    const pathSpec = VALUE_FLAGS.find((spec) => spec.key === pathKey);
    const dataSpec = VALUE_FLAGS.find((spec) => spec.key === dataKey);
    if (!pathSpec || !dataSpec) continue;
    if (options[pathKey] !== undefined) delete merged[dataSpec.variable];
    if (options[dataKey] !== undefined) delete merged[pathSpec.variable];
  }
  return merged;
}

function flagName(key: string): string {
  return (VALUE_FLAGS.find((spec) => spec.key === key)?.flags ?? key).split(' ')[0] as string;
}
