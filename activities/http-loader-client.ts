// The built-in HTTP loader's client: a GET under the loader security policy (core/loader-security.ts)
// for every hop and every connection. Redirects are followed here, one hop at a time, each in its
// own origin's limiter slot; names are resolved once per connection and the connection goes to
// the address that was checked, so DNS rebinding cannot get past the policy.
// undici rather than the global fetch: the global one cannot take a DNS lookup of our own.
import { ApplicationFailure } from '@temporalio/common';
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent, fetch, type Response } from 'undici';
import { LoaderHostPolicy, type LoaderSecurity } from '../core/loader-security';
import { redact } from '../core/redact';
import { FailureTypes, valueTooLarge } from './failure-types';
import type { LoadPriority, OriginLimiter } from './origin-limiter';
import { withTimeout } from './with-timeout';

/** One GET: where, with which headers, under which limits. */
export interface HttpGetRequest {
  /** The expanded loader URL. */
  url: string;
  /** The loader's own headers, values resolved; sent to the loader URL's origin only. */
  headers: Readonly<Record<string, string>>;
  /** For the whole load, redirects included, from when its first hop gets a slot. */
  timeoutMs: number;
  /** Aborted when the activity is cancelled. */
  signal: AbortSignal;
  heartbeat(): void;
  priority: LoadPriority;
  /** The first hop still waiting for its origin then (ms since the epoch) is shed; later hops are not. */
  startBy?: number;
  limiter: OriginLimiter;
  maxValueBytes: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Thrown inside a connection's DNS lookup when the policy refuses an address; fetch wraps it as its cause. */
class AddressRefused extends Error {
  override readonly name = 'AddressRefused';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The HTTP client of one worker process: its policy, and connections made only to addresses the policy allows. */
export class HttpLoaderClient {
  readonly policy: LoaderHostPolicy;
  private readonly agent: Agent;

  constructor(security: Partial<LoaderSecurity> = {}) {
    this.policy = new LoaderHostPolicy(security);
    this.agent = new Agent({ connect: { lookup: this.checkedLookup } });
  }

  /** The response body of `request.url`, after at most `maxRedirects` redirects the policy allows. */
  async get(request: HttpGetRequest): Promise<Buffer> {
    for (const [name, value] of Object.entries(request.headers)) {
      // fetch's own error for a bad value quotes the value: never let a secret reach a message.
      if (/[^\t\x20-\x7e\x80-\xff]/.test(value.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '')))
        throw ApplicationFailure.nonRetryable(
          `header ${name} has a value that is not valid in HTTP (line breaks or other control characters)`,
          FailureTypes.badInput,
        );
    }
    const first = new URL(request.url);
    const { maxRedirects } = this.policy.security;
    let url = first;
    let headers = request.headers;
    let timeout: ReturnType<typeof withTimeout> | undefined;
    try {
      for (let redirects = 0; ; redirects++) {
        const refusal = this.policy.urlRefusal(url);
        if (refusal) throw refused(refusal);
        const hop = url;
        const hopHeaders = headers;
        const outcome = await request.limiter.schedule(
          hop.origin,
          () => {
            timeout ??= withTimeout(request.signal, request.timeoutMs);
            return this.fetchHop(hop, hopHeaders, timeout.signal, request);
          },
          request.priority,
          redirects === 0 ? request.startBy : undefined,
        );
        if ('body' in outcome) return outcome.body;
        if (redirects >= maxRedirects)
          throw refused(`GET ${redact(first.href)} was redirected more than ${maxRedirects} times`);
        let next: URL;
        try {
          next = new URL(outcome.location, hop);
        } catch {
          throw refused(`${hop.origin} redirected to something that is not a URL`);
        }
        const redirectRefusal = this.policy.redirectRefusal(hop, next);
        if (redirectRefusal) throw refused(redirectRefusal);
        // Custom headers (API keys) belong to the loader's origin: once a load leaves it, they stay behind.
        if (next.origin !== first.origin) headers = {};
        url = next;
      }
    } finally {
      timeout?.clear();
    }
  }

  /** Closes idle connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /** One request without following redirects: the body of a final answer, or where a redirect points. */
  private async fetchHop(
    url: URL,
    headers: Readonly<Record<string, string>>,
    signal: AbortSignal,
    request: HttpGetRequest,
  ): Promise<{ body: Buffer } | { location: string }> {
    // Only a failure names the URL: redacting it for every load cost a few per cent of a bulk warm's CPU.
    const shown = () => redact(url.href);
    let response: Response;
    try {
      response = await fetch(url, { headers: { ...headers }, signal, redirect: 'manual', dispatcher: this.agent });
    } catch (err) {
      if (request.signal.aborted) throw err;
      const cause = (err as { cause?: unknown }).cause;
      if (cause instanceof AddressRefused) throw refused(cause.message);
      const reason = signal.aborted ? 'timed out' : describe(err);
      throw ApplicationFailure.retryable(`GET ${shown()} failed: ${redact(reason)}`, FailureTypes.originUnavailable);
    }
    const location = response.headers.get('location');
    if (REDIRECT_STATUSES.has(response.status) && location !== null) {
      await response.body?.cancel().catch(() => undefined);
      return { location };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      const transient = response.status === 408 || response.status === 429 || response.status >= 500;
      const message = `GET ${shown()} answered ${response.status} ${response.statusText}`.trim();
      throw transient
        ? ApplicationFailure.retryable(message, FailureTypes.originUnavailable)
        : ApplicationFailure.nonRetryable(message, FailureTypes.originRejected);
    }
    return { body: await readBody(response, shown, signal, request) };
  }

  /**
   * The connections' DNS lookup: resolves once, refuses the connection when any address is one
   * the policy refuses for that name, and hands the checked addresses to the socket.
   */
  private readonly checkedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      for (const { address } of addresses) {
        const refusal = this.policy.addressRefusal(hostname, address);
        if (refusal) return callback(new AddressRefused(refusal), '');
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      return first ? callback(null, first.address, first.family) : callback(null, addresses);
    });
  };
}

async function readBody(response: Response, shown: () => string, signal: AbortSignal, request: HttpGetRequest) {
  const max = request.maxValueBytes;
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await response.body?.cancel().catch(() => undefined);
    throw valueTooLarge(shown(), declared, max);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.length;
      if (size > max) {
        await response.body?.cancel().catch(() => undefined);
        throw valueTooLarge(shown(), size, max);
      }
      chunks.push(Buffer.from(chunk));
      request.heartbeat();
    }
  } catch (err) {
    if (err instanceof ApplicationFailure || request.signal.aborted) throw err;
    throw ApplicationFailure.retryable(
      `GET ${shown()} broke off: ${signal.aborted ? 'timed out' : redact(describe(err))}`,
      FailureTypes.originUnavailable,
    );
  }
  return Buffer.concat(chunks, size);
}

function refused(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, FailureTypes.loaderRefused);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
