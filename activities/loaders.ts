// Loaders fetch a value from its origin: the built-in HTTP GET, or named functions registered in
// the worker. Failures are classified here: permanent ones fail fast, transient ones are retried.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { HeaderValue, LoaderSpec } from '../core/config-schema';
import { expandUrlTemplate } from '../core/key-template';
import { redact, redactError } from '../core/redact';
import { isCriticalTaskQueue } from '../core/workflow-ids';
import { FailureTypes, valueTooLarge } from './failure-types';
import { HttpLoaderClient } from './http-loader-client';
import type { WarmingLimits } from './limits';
import { LoadShedError, type LoadPriority, type OriginLimiter } from './origin-limiter';
import { withTimeout } from './with-timeout';

export { FailureTypes } from './failure-types';

/** What a custom loader gets besides its `args`. */
export interface LoaderContext {
  /** Aborted when the activity is cancelled or times out; pass it to your client. */
  signal: AbortSignal;
  /** Values of the template placeholders (`{id}`, `{userId}`, `{formId}`) for this load. */
  vars: Readonly<Record<string, string>>;
  /** Call during long loads so a crashed worker's warm is retried quickly. */
  heartbeat(): void;
}

/**
 * A named loader registered in the worker (`{ "type": "custom", "name": "..." }` in the config).
 * Return a string or bytes to store them as-is, or any other JSON value to store it JSON-encoded.
 */
export type CustomLoader = (args: Readonly<Record<string, unknown>>, context: LoaderContext) => Promise<unknown>;

/** The worker's custom loaders by name: `createWorker({ loaders: { loadCatalog } })`. */
export type LoaderRegistry = Readonly<Record<string, CustomLoader>>;

export interface LoadRequest {
  spec: LoaderSpec;
  vars: Readonly<Record<string, string>>;
  signal: AbortSignal;
  heartbeat(): void;
  /**
   * Where the load queues while its origin is busy. Default: `critical` inside an activity on a
   * critical task queue (`<queue>-critical`, where critical tasks' warms run), else `normal`.
   */
  priority?: LoadPriority;
  /**
   * Ms since the epoch: a load still waiting for its origin then is shed (LoadShedError, never
   * retried) instead of started late. Default: it waits as long as it takes.
   */
  startBy?: number;
}

/**
 * The priority of a load made by the running activity: `critical` on a critical task queue, else
 * `normal` (also outside an activity). The workflow picks the queue, so no activity input changes.
 */
export function activityLoadPriority(): LoadPriority {
  let taskQueue: string;
  try {
    taskQueue = Context.current().info.taskQueue;
  } catch {
    return 'normal'; // not in an activity (a test, a script)
  }
  return isCriticalTaskQueue(taskQueue) ? 'critical' : 'normal';
}

/**
 * What every loader type is given: the worker's named loaders, the per-origin limiter, the limits,
 * the HTTP client with its security policy, and the environment header references are read from.
 */
interface LoaderDeps {
  registry: LoaderRegistry;
  limiter: OriginLimiter;
  limits: WarmingLimits;
  http: HttpLoaderClient;
  env: Readonly<Record<string, string | undefined>>;
}

/** One loader type (`loader.type` in the config): the origin its loads are limited under, and how it loads. */
interface LoaderType<S extends LoaderSpec> {
  /** The per-origin limits key: a placeholder can never change it. */
  origin(spec: S): string;
  /** Loads the value as bytes or a string ready to store, under the origin's limits. */
  load(spec: S, request: LoadRequest, priority: LoadPriority, deps: LoaderDeps): Promise<Buffer | string>;
}

/**
 * Every loader type, one entry each. A new type is its variant in `loaderSchema`
 * (core/loader-schema.ts, with its `describeLoader` line) plus its entry here; the mapped type
 * makes a schema variant without an entry a compile error.
 */
const LOADER_TYPES: { [T in LoaderSpec['type']]: LoaderType<Extract<LoaderSpec, { type: T }>> } = {
  /** The built-in HTTP GET: the response body as-is; non-2xx is a failure (408, 429 and 5xx retried). */
  http: {
    origin: (spec) => new URL(spec.url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x')).origin,
    load(spec, request, priority, deps) {
      let url: string;
      try {
        url = expandUrlTemplate(spec.url, request.vars);
      } catch (err) {
        // A missing or path-walking value will not get better on retry.
        throw ApplicationFailure.nonRetryable(redact((err as Error).message), FailureTypes.badInput);
      }
      // Each hop waits for its own origin's slot: the limits follow the origin actually called.
      return deps.http.get({
        url,
        headers: resolveHeaders(spec.headers ?? {}, deps.env),
        timeoutMs: (spec.timeoutSeconds ?? 0) * 1000 || deps.limits.loaderTimeoutMs,
        signal: request.signal,
        heartbeat: request.heartbeat,
        priority,
        ...(request.startBy !== undefined ? { startBy: request.startBy } : {}),
        limiter: deps.limiter,
        maxValueBytes: deps.limits.maxValueBytes,
      });
    },
  },
  /** A named function registered in the worker (`createWorker({ loaders })`). */
  custom: {
    origin: (spec) => `custom:${spec.name}`,
    load(spec, request, priority, deps) {
      if (!hasLoader(deps.registry, spec.name)) {
        throw ApplicationFailure.nonRetryable(
          `no loader named "${spec.name}" is registered in this worker`,
          FailureTypes.unknownLoader,
        );
      }
      const loader = deps.registry[spec.name] as CustomLoader;
      return deps.limiter.schedule(
        LOADER_TYPES.custom.origin(spec),
        async () => {
          const timeout = withTimeout(request.signal, (spec.timeoutSeconds ?? 0) * 1000 || deps.limits.loaderTimeoutMs);
          try {
            return encode(
              await loader(spec.args ?? {}, {
                signal: timeout.signal,
                vars: request.vars,
                heartbeat: request.heartbeat,
              }),
              spec.name,
              deps.limits,
            );
          } finally {
            timeout.clear();
          }
        },
        priority,
        request.startBy,
      );
    },
  },
};

/** The entry of `spec`'s type, typed for that spec (TypeScript cannot correlate the two by itself). */
function loaderType(spec: LoaderSpec): LoaderType<LoaderSpec> {
  return LOADER_TYPES[spec.type] as LoaderType<LoaderSpec>;
}

/**
 * The origin a loader calls, as the per-origin limits key it: `http://host:port` for HTTP (a
 * placeholder can never change the host), `custom:<name>` for a custom loader.
 */
export function loaderOrigin(spec: LoaderSpec): string {
  return loaderType(spec).origin(spec);
}

function hasLoader(registry: LoaderRegistry, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(registry, name);
}

export interface LoadersOptions {
  /** The worker's named loaders (`{ "type": "custom", "name": ... }`). Default none. */
  registry?: LoaderRegistry;
  /** The per-origin concurrency and rate limiter every load goes through. */
  limiter: OriginLimiter;
  /** The limits loads run under (the optimiser plans within the per-origin rate). */
  limits: WarmingLimits;
  /** The HTTP loader's client and its security policy. Default one with the default policy. */
  http?: HttpLoaderClient;
  /** Where `{ "env": NAME }` header values are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Runs loads of every type under the per-origin limits. */
export class Loaders {
  private readonly deps: LoaderDeps;

  constructor(options: LoadersOptions) {
    this.deps = {
      registry: options.registry ?? {},
      limiter: options.limiter,
      limits: options.limits,
      http: options.http ?? new HttpLoaderClient(),
      env: options.env ?? process.env,
    };
  }

  /** The limits loads run under (the optimiser plans within the per-origin rate). */
  get limits(): WarmingLimits {
    return this.deps.limits;
  }

  /** Whether a custom loader of this name is registered. */
  has(name: string): boolean {
    return hasLoader(this.deps.registry, name);
  }

  /**
   * Loads the value as bytes or a string ready to store, under the origin's limits. Whatever it
   * throws is redacted (core/redact.ts), a custom loader's errors too: they end up in workflow history.
   */
  async load(request: LoadRequest): Promise<Buffer | string> {
    try {
      return await loaderType(request.spec).load(
        request.spec,
        request,
        request.priority ?? activityLoadPriority(),
        this.deps,
      );
    } catch (err) {
      // Shed before it started: retrying would only queue it past its use again.
      if (err instanceof LoadShedError) throw ApplicationFailure.nonRetryable(err.message, FailureTypes.loadShed);
      throw redactError(err);
    }
  }
}

/**
 * The loader's headers with `{ "env": NAME }` values read from the worker's environment, so the
 * secret never enters workflow history. A missing variable fails the load without retry, naming
 * the variable and never a value.
 */
function resolveHeaders(
  headers: Readonly<Record<string, HeaderValue>>,
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') {
      resolved[name] = value;
      continue;
    }
    const fromEnv = env[value.env];
    if (fromEnv === undefined || fromEnv === '')
      throw ApplicationFailure.nonRetryable(
        `header ${name} reads environment variable ${value.env}, which is not set in this worker`,
        FailureTypes.missingEnvironment,
      );
    resolved[name] = fromEnv;
  }
  return resolved;
}

/** A custom loader's result as stored: strings and bytes as-is, other JSON values encoded. */
function encode(value: unknown, name: string, limits: WarmingLimits): Buffer | string {
  let out: Buffer | string;
  if (typeof value === 'string') out = value;
  else if (Buffer.isBuffer(value)) out = value;
  else if (value instanceof Uint8Array) out = Buffer.from(value);
  else if (
    value === undefined ||
    typeof value === 'function' ||
    typeof value === 'symbol' ||
    typeof value === 'bigint'
  ) {
    throw ApplicationFailure.nonRetryable(
      `loader "${name}" returned ${typeof value}, not a storable value`,
      FailureTypes.badLoaderResult,
    );
  } else out = JSON.stringify(value);
  const size = typeof out === 'string' ? Buffer.byteLength(out) : out.length;
  if (size > limits.maxValueBytes) throw valueTooLarge(`loader "${name}"`, size, limits.maxValueBytes);
  return out;
}
