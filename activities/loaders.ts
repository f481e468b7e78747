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

/**
 * The origin a loader calls, as the per-origin limits key it: `http://host:port` for HTTP (a
 * placeholder can never change the host), `custom:<name>` for a custom loader.
 */
export function loaderOrigin(spec: LoaderSpec): string {
  return spec.type === 'http'
    ? new URL(spec.url.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x')).origin
    : `custom:${spec.name}`;
}

export class Loaders {
  constructor(
    private readonly registry: LoaderRegistry,
    private readonly limiter: OriginLimiter,
    /** The limits loads run under (the optimiser plans within the per-origin rate). */
    readonly limits: WarmingLimits,
  ) {}

  /** Whether a custom loader of this name is registered. */
  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.registry, name);
  }

  /** Loads the value as bytes or a string ready to store, under the origin's limits. */
  load(request: LoadRequest): Promise<Buffer | string> {
    const { spec } = request;
    const priority = request.priority ?? activityLoadPriority();
    if (spec.type === 'http') {
      let url: string;
      try {
        url = expandUrlTemplate(spec.url, request.vars);
      } catch (err) {
        // A missing or path-walking value will not get better on retry.
        throw ApplicationFailure.nonRetryable((err as Error).message, FailureTypes.badInput);
      }
      return this.limiter.schedule(
        new URL(url).origin,
        () => this.fetchHttp(url, spec.headers ?? {}, spec.timeoutSeconds, request),
        priority,
      );
    }
    if (!this.has(spec.name)) {
      throw ApplicationFailure.nonRetryable(
        `no loader named "${spec.name}" is registered in this worker`,
        FailureTypes.unknownLoader,
      );
    }
    const loader = this.registry[spec.name] as CustomLoader;
    return this.limiter.schedule(
      loaderOrigin(spec),
      async () => {
        const timeout = withTimeout(request.signal, (spec.timeoutSeconds ?? 0) * 1000 || this.limits.loaderTimeoutMs);
        try {
          return this.encode(
            await loader(spec.args ?? {}, { signal: timeout.signal, vars: request.vars, heartbeat: request.heartbeat }),
            spec.name,
          );
        } finally {
          timeout.clear();
        }
      },
      priority,
    );
  }

  private async fetchHttp(
    url: string,
    headers: Record<string, string>,
    timeoutSeconds: number | undefined,
    request: LoadRequest,
  ): Promise<Buffer> {
    const timeout = withTimeout(request.signal, (timeoutSeconds ?? 0) * 1000 || this.limits.loaderTimeoutMs);
    try {
      return await this.fetchBody(url, headers, timeout.signal, request);
    } finally {
      timeout.clear();
    }
  }

  private async fetchBody(
    url: string,
    headers: Record<string, string>,
    signal: AbortSignal,
    request: LoadRequest,
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
    if (declared > this.limits.maxValueBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(url, declared, this.limits.maxValueBytes);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body ?? []) {
        size += chunk.length;
        if (size > this.limits.maxValueBytes) {
          await response.body?.cancel().catch(() => undefined);
          throw tooLarge(url, size, this.limits.maxValueBytes);
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

  private encode(value: unknown, name: string): Buffer | string {
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
    if (size > this.limits.maxValueBytes) throw tooLarge(`loader "${name}"`, size, this.limits.maxValueBytes);
    return out;
  }
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
