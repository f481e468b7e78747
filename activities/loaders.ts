// Loaders fetch a value from its origin: the built-in HTTP GET, or named functions registered in
// the worker. Failures are classified here: permanent ones fail fast, transient ones are retried.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { LoaderSpec } from '../core/config-schema';
import { expandUrlTemplate } from '../core/key-template';
import { isCriticalTaskQueue } from '../core/workflow-ids';
import type { WarmingLimits } from './limits';
import type { LoadPriority, OriginLimiter } from './origin-limiter';

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

/** Failure types the retry policies name. */
export const FailureTypes = {
  originRejected: 'OriginRejected',
  originUnavailable: 'OriginUnavailable',
  valueTooLarge: 'ValueTooLarge',
  badLoaderResult: 'BadLoaderResult',
  unknownLoader: 'UnknownLoader',
  badInput: 'BadInput',
} as const;

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

/** What every loader type is given: the worker's named loaders, the per-origin limiter and the limits. */
interface LoaderDeps {
  registry: LoaderRegistry;
  limiter: OriginLimiter;
  limits: WarmingLimits;
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
 * (core/config-schema.ts, with its `describeLoader` line) plus its entry here; the mapped type
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
        throw ApplicationFailure.nonRetryable((err as Error).message, FailureTypes.badInput);
      }
      return deps.limiter.schedule(
        new URL(url).origin,
        () => fetchHttp(url, spec.headers ?? {}, spec.timeoutSeconds, request, deps.limits),
        priority,
      );
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
}

/** Runs loads of every type under the per-origin limits. */
export class Loaders {
  private readonly deps: LoaderDeps;

  constructor(options: LoadersOptions) {
    this.deps = { registry: options.registry ?? {}, limiter: options.limiter, limits: options.limits };
  }

  /** The limits loads run under (the optimiser plans within the per-origin rate). */
  get limits(): WarmingLimits {
    return this.deps.limits;
  }

  /** Whether a custom loader of this name is registered. */
  has(name: string): boolean {
    return hasLoader(this.deps.registry, name);
  }

  /** Loads the value as bytes or a string ready to store, under the origin's limits. */
  load(request: LoadRequest): Promise<Buffer | string> {
    return loaderType(request.spec).load(request.spec, request, request.priority ?? activityLoadPriority(), this.deps);
  }
}

async function fetchHttp(
  url: string,
  headers: Record<string, string>,
  timeoutSeconds: number | undefined,
  request: LoadRequest,
  limits: WarmingLimits,
): Promise<Buffer> {
  const timeout = withTimeout(request.signal, (timeoutSeconds ?? 0) * 1000 || limits.loaderTimeoutMs);
  try {
    return await fetchBody(url, headers, timeout.signal, request, limits);
  } finally {
    timeout.clear();
  }
}

async function fetchBody(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  request: LoadRequest,
  limits: WarmingLimits,
): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { headers, signal, redirect: 'follow' });
  } catch (err) {
    if (request.signal.aborted) throw err;
    const reason = signal.aborted ? 'timed out' : describe(err);
    throw ApplicationFailure.retryable(`GET ${url} failed: ${reason}`, FailureTypes.originUnavailable);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    const transient = response.status === 408 || response.status === 429 || response.status >= 500;
    const message = `GET ${url} answered ${response.status} ${response.statusText}`.trim();
    throw transient
      ? ApplicationFailure.retryable(message, FailureTypes.originUnavailable)
      : ApplicationFailure.nonRetryable(message, FailureTypes.originRejected);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > limits.maxValueBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(url, declared, limits.maxValueBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.length;
      if (size > limits.maxValueBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw tooLarge(url, size, limits.maxValueBytes);
      }
      chunks.push(Buffer.from(chunk));
      request.heartbeat();
    }
  } catch (err) {
    if (err instanceof ApplicationFailure || request.signal.aborted) throw err;
    throw ApplicationFailure.retryable(
      `GET ${url} broke off: ${signal.aborted ? 'timed out' : describe(err)}`,
      FailureTypes.originUnavailable,
    );
  }
  return Buffer.concat(chunks, size);
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
  if (size > limits.maxValueBytes) throw tooLarge(`loader "${name}"`, size, limits.maxValueBytes);
  return out;
}

function tooLarge(what: string, size: number, max: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `${what} returned ${size} bytes, over the ${max}-byte limit`,
    FailureTypes.valueTooLarge,
  );
}

/**
 * `signal`, or a timeout, whichever aborts first; `clear()` once the load is over. A plain timer
 * rather than AbortSignal.any([signal, AbortSignal.timeout(ms)]): Node may garbage-collect that
 * timeout signal before it fires (nodejs/node#57736), and then a hung origin is never timed out.
 */
function withTimeout(signal: AbortSignal, timeoutMs: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const follow = () => controller.abort(signal.reason);
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', follow);
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
