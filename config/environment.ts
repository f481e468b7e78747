// Reads the process environment once, with documented defaults, and builds Temporal connection
// options from it. Temporal settings (address, namespace, TLS, API key, profiles) come from
// @temporalio/envconfig, the way Temporal's own CLI reads them; Redis settings from redis-connection.ts.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { ConnectionOptions } from '@temporalio/client';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { DEFAULT_PREFIX } from '../store/redis-keys';
import { parseHostPattern, type LoaderSecurity } from '../core/loader-security';
import { defaultOptimizerWorkflowId, instanceProblem, taskQueueProblem } from '../core/workflow-ids';
import { nonEmpty, optional } from './env-values';
import { readRedisEnvironment, type RedisOptions } from './redis-connection';

export interface Environment {
  /** TEMPORAL_ADDRESS (or the profile's), default `localhost:7233`. */
  temporalAddress: string;
  /** TEMPORAL_NAMESPACE, default `default`. */
  namespace: string;
  /** TEMPORAL_TASK_QUEUE, default `cache-warming`. */
  taskQueue: string;
  /** REDIS_URL, default `redis://127.0.0.1:6379`; `rediss://` means TLS. */
  redisUrl: string;
  /** REDIS_CLUSTER=1 treats REDIS_URL as a seed node of a Redis Cluster. */
  redisCluster: boolean;
  /** REDIS_TLS_CA_FILE: PEM file of the CA that signed a `rediss://` server's certificate; default the system's CAs. */
  redisTlsCaFile?: string;
  /** Everything above about Redis plus Sentinel, NAT map and DNS lookup: what `createRedis` takes. */
  redis: RedisOptions;
  /** WARMING_CONFIG, default `warming.config.json`. */
  configPath: string;
  /** WARMING_PREFIX, default `cw:`: everything but cached values lives under it. */
  prefix: string;
  /**
   * WARMING_INSTANCE, default unset: the name in front of every workflow id this deployment
   * creates (`<instance>/warm-task:<taskId>`, `<instance>/warm-optimizer`), for several
   * deployments in one namespace. Unset, the ids are the contract's own (`warm-task:<taskId>`).
   */
  instance?: string;
  /** WARMING_OPTIMIZER_ID, default `warm-optimizer` (`<instance>/warm-optimizer` with an instance): an override. */
  optimizerWorkflowId: string;
  /**
   * WARMING_DEPLOYMENT and WARMING_BUILD_ID (both or neither): the Worker Deployment Version this
   * worker serves; unset, the worker is unversioned. See docs/upgrading.md.
   */
  deployment?: WorkerDeployment;
  /**
   * Where HTTP loaders may go, only the fields set: WARMING_LOADER_HOSTS (comma list of `host`,
   * `host:port`, `*.example.com`), WARMING_LOADER_PRIVATE_NETWORKS (`allow` or `deny`),
   * WARMING_LOADER_CROSS_ORIGIN_REDIRECTS (`deny` or `allow`). Unset, `LoaderSecurity`'s defaults.
   */
  loaderSecurity: Partial<LoaderSecurity>;
  /**
   * WARMING_CRITICAL_QUEUE, default `on`: whether a worker process polls `<queue>-critical` from the
   * start (`on`), or only once the deployment has critical tasks (`auto`, for small deployments).
   */
  criticalQueue: CriticalQueueMode;
  /**
   * WARMING_ORIGIN_BUDGET, default `shared`: whether each origin's concurrency cap and rate hold for
   * every worker of the deployment together (`shared`, through Redis) or for each process (`worker`).
   */
  originBudget: OriginBudgetMode;
}

/** Whose budget an origin's limits are: the deployment's (all its workers together) or each worker's. */
export type OriginBudgetMode = 'shared' | 'worker';

/** When a worker serves the critical queue: always, or only while the deployment has critical tasks. */
export type CriticalQueueMode = 'on' | 'auto';

/** A Worker Deployment Version: the deployment (one per service) and this build of it. */
export interface WorkerDeployment {
  name: string;
  buildId: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const profile = loadTemporalProfile(env);
  const redis = readRedisEnvironment(env);
  const instance = readInstance(env);
  return {
    temporalAddress: profile.connectionOptions.address ?? 'localhost:7233',
    namespace: profile.namespace ?? 'default',
    taskQueue: taskQueueFromEnv(env),
    redisUrl: redis.url,
    redisCluster: redis.cluster ?? false,
    ...optional('redisTlsCaFile', redis.tlsCaFile),
    redis,
    configPath: nonEmpty(env.WARMING_CONFIG, 'WARMING_CONFIG') ?? 'warming.config.json',
    prefix: nonEmpty(env.WARMING_PREFIX, 'WARMING_PREFIX') ?? DEFAULT_PREFIX,
    ...optional('instance', instance),
    optimizerWorkflowId:
      nonEmpty(env.WARMING_OPTIMIZER_ID, 'WARMING_OPTIMIZER_ID') ?? defaultOptimizerWorkflowId(instance),
    ...optional('deployment', readDeployment(env)),
    loaderSecurity: readLoaderSecurity(env),
    criticalQueue: readCriticalQueue(env),
    originBudget: choice(env, 'WARMING_ORIGIN_BUDGET', ['shared', 'worker'] as const) ?? 'shared',
  };
}

function readCriticalQueue(env: NodeJS.ProcessEnv): CriticalQueueMode {
  const value = nonEmpty(env.WARMING_CRITICAL_QUEUE, 'WARMING_CRITICAL_QUEUE')?.toLowerCase();
  if (value === undefined || value === 'on' || value === 'auto') return value ?? 'on';
  // There is no "off": critical tasks' workflows run only on the critical queue, so a worker that
  // never polled it would leave them unwarmed.
  throw new Error(
    `WARMING_CRITICAL_QUEUE must be on or auto (got "${env.WARMING_CRITICAL_QUEUE}"): ` +
      'auto polls the critical queue only while the deployment has critical tasks, which never warm without it',
  );
}

function readInstance(env: NodeJS.ProcessEnv): string | undefined {
  const instance = nonEmpty(env.WARMING_INSTANCE, 'WARMING_INSTANCE');
  const problem = instance === undefined ? undefined : instanceProblem(instance);
  if (problem) throw new Error(`WARMING_INSTANCE ${problem}`);
  return instance;
}

function taskQueueFromEnv(env: NodeJS.ProcessEnv): string {
  const queue = nonEmpty(env.TEMPORAL_TASK_QUEUE, 'TEMPORAL_TASK_QUEUE') ?? 'cache-warming';
  const problem = taskQueueProblem(queue);
  if (problem) throw new Error(`TEMPORAL_TASK_QUEUE ${problem}`);
  return queue;
}

function readLoaderSecurity(env: NodeJS.ProcessEnv): Partial<LoaderSecurity> {
  const hosts = nonEmpty(env.WARMING_LOADER_HOSTS, 'WARMING_LOADER_HOSTS');
  const allowedHosts = hosts?.split(',').map((entry, i) => {
    try {
      parseHostPattern(entry);
    } catch (err) {
      throw new Error(`WARMING_LOADER_HOSTS entry ${i + 1} ${(err as Error).message}`);
    }
    return entry.trim();
  });
  return {
    ...optional('allowedHosts', allowedHosts),
    ...optional('privateNetworks', choice(env, 'WARMING_LOADER_PRIVATE_NETWORKS', ['allow', 'deny'] as const)),
    ...optional(
      'crossOriginRedirects',
      choice(env, 'WARMING_LOADER_CROSS_ORIGIN_REDIRECTS', ['deny', 'allow'] as const),
    ),
  };
}

/** One of `values` (any case), undefined when unset. */
function choice<V extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly V[]): V | undefined {
  const value = nonEmpty(env[name], name)?.toLowerCase();
  if (value === undefined) return undefined;
  const found = values.find((v) => v === value);
  if (!found) throw new Error(`${name} must be ${values.join(' or ')} (got "${env[name]}")`);
  return found;
}

/** Temporal's rule for deployment names and build ids: no '.' in a name, at most 255 characters. */
const DEPLOYMENT_PART = /^[^\s.][^\s]{0,254}$/;

function readDeployment(env: NodeJS.ProcessEnv): WorkerDeployment | undefined {
  const name = nonEmpty(env.WARMING_DEPLOYMENT, 'WARMING_DEPLOYMENT');
  const buildId = nonEmpty(env.WARMING_BUILD_ID, 'WARMING_BUILD_ID');
  if (name === undefined && buildId === undefined) return undefined;
  if (name === undefined || buildId === undefined) {
    throw new Error('WARMING_DEPLOYMENT and WARMING_BUILD_ID go together: set both for a versioned worker, or neither');
  }
  if (!DEPLOYMENT_PART.test(name) || name.includes('.')) {
    throw new Error(`WARMING_DEPLOYMENT must be up to 255 characters without spaces or '.' (got "${name}")`);
  }
  if (!DEPLOYMENT_PART.test(buildId)) {
    throw new Error(`WARMING_BUILD_ID must be up to 255 characters without spaces (got "${buildId}")`);
  }
  return { name, buildId };
}

/**
 * Temporal connection options (TLS, API key, metadata) for the given environment, for the
 * worker's native connection. TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is refused here: the native
 * connection always checks the host name (clients built by `temporalClientConnectOptions` can
 * skip it).
 */
export function temporalConnectOptions(env: NodeJS.ProcessEnv = process.env) {
  if (disableHostVerification(env)) {
    throw new Error(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is not supported by the worker (its native connection always ' +
        "verifies the host name): set TEMPORAL_TLS_SERVER_NAME to the name in the server's certificate",
    );
  }
  return temporalProfileOptions(env);
}

/**
 * Temporal connection options for a client (`@temporalio/client` Connection): as
 * `temporalConnectOptions`, plus TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=true, which keeps
 * verifying the certificate chain but accepts a certificate issued for another host name, as the
 * Temporal CLI's `--tls-disable-host-verification` does.
 */
export function temporalClientConnectOptions(env: NodeJS.ProcessEnv = process.env): {
  connectionOptions: ConnectionOptions;
  namespace: string;
} {
  const { connectionOptions, namespace } = temporalProfileOptions(env);
  if (!disableHostVerification(env)) return { connectionOptions, namespace };
  const { tls, apiKey, metadata, ...rest } = connectionOptions;
  const tlsConfig = typeof tls === 'object' && tls !== null ? tls : {};
  // grpc-js takes either `tls` or ready-made `credentials`, and an API key only with `tls`, so
  // the key travels as the Authorization header it would have become.
  return {
    namespace,
    connectionOptions: {
      ...rest,
      metadata: { ...metadata, ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
      credentials: grpcCredentials.createSsl(
        toBuffer(tlsConfig.serverRootCACertificate),
        toBuffer(tlsConfig.clientCertPair?.key),
        toBuffer(tlsConfig.clientCertPair?.crt),
        { checkServerIdentity: () => undefined },
      ),
    },
  };
}

function temporalProfileOptions(env: NodeJS.ProcessEnv) {
  const profile = loadTemporalProfile(env);
  return {
    connectionOptions: { ...profile.connectionOptions, address: profile.connectionOptions.address ?? 'localhost:7233' },
    namespace: profile.namespace ?? 'default',
  };
}

/** envconfig's profile for `env`, its errors (a missing profile, an unreadable file) in one line. */
function loadTemporalProfile(env: NodeJS.ProcessEnv) {
  try {
    return loadClientConnectConfig({ overrideEnvVars: stringEnv(env) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const file = env.TEMPORAL_CONFIG_FILE ? ` (TEMPORAL_CONFIG_FILE ${env.TEMPORAL_CONFIG_FILE})` : '';
    throw new Error(`Temporal client config${file}: ${message.split('\n')[0]}`);
  }
}

/** As envconfig reads its booleans: `1` or `true` is on, anything else off. */
function disableHostVerification(env: NodeJS.ProcessEnv): boolean {
  const value = env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION;
  return value === '1' || value === 'true';
}

function toBuffer(data: Buffer | Uint8Array | undefined): Buffer | null {
  return data === undefined ? null : Buffer.from(data);
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
