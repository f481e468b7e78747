// Where HTTP loaders may go: the security options with their documented defaults, and the pure
// decisions over hosts, resolved addresses and redirects that the loader applies to every hop
// (activities/http-loader-client.ts). Pure, so the environment reader and the tests share it.
import ipaddr from 'ipaddr.js';

/** The HTTP loaders' security stance; `createWorker({ loaderSecurity })` overrides any of it. See docs/security.md. */
export interface LoaderSecurity {
  /**
   * Hosts any loader may call at all (WARMING_LOADER_HOSTS): `host`, `host:port`, `*.example.com`
   * (any name below example.com, not example.com itself), IPv6 as `[::1]` or `[::1]:8080`. When
   * set, every other host is refused. An entry naming a host exactly (not by a wildcard) also lets
   * that host reach a cloud metadata address, and a private one under `privateNetworks: 'deny'`.
   * @default none: every host a loader URL of the config names
   */
  allowedHosts?: readonly string[];
  /**
   * `deny` refuses loopback, private, link-local, unique-local, carrier-grade NAT and every other
   * non-public address, checked after DNS resolution on the address actually connected to
   * (WARMING_LOADER_PRIVATE_NETWORKS).
   * @default 'allow'
   */
  privateNetworks: 'allow' | 'deny';
  /**
   * `allow` follows a redirect to another origin when that origin's host is in `allowedHosts`
   * (which it then requires); custom headers are never sent there either way
   * (WARMING_LOADER_CROSS_ORIGIN_REDIRECTS).
   * @default 'deny': redirects are followed within the same scheme, host and port only
   */
  crossOriginRedirects: 'allow' | 'deny';
  /**
   * Redirects one load follows at most; one more fails the load without retry.
   * @default 5
   */
  maxRedirects: number;
}

export const DEFAULT_LOADER_SECURITY: LoaderSecurity = {
  privateNetworks: 'allow',
  crossOriginRedirects: 'deny',
  maxRedirects: 5,
};

/** Cloud metadata host names (GCP, AWS, Azure, Alibaba): refused unless listed exactly in `allowedHosts`. */
export const METADATA_HOSTNAMES: readonly string[] = [
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
];

/**
 * Cloud metadata addresses: all of IPv4 link-local (AWS, GCP, Azure and OCI use 169.254.169.254),
 * AWS's IPv6 one, Alibaba's.
 */
const METADATA_RANGES: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][] = [
  ipaddr.parseCIDR('169.254.0.0/16'),
  ipaddr.parseCIDR('fd00:ec2::254/128'),
  ipaddr.parseCIDR('100.100.100.200/32'),
];

/** One `allowedHosts` entry, parsed. */
export interface HostPattern {
  /** The host without brackets, lower case; for a wildcard the part after `*.`. */
  host: string;
  wildcard: boolean;
  /** Undefined: any port. */
  port?: number;
}

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOSTNAME = new RegExp(`^(?:${LABEL}\\.)*${LABEL}$`);

/**
 * An allowlist entry parsed, or an Error saying what is wrong with it: `host`, `host:port`,
 * `*.domain`, `*.domain:port`, `1.2.3.4`, `[::1]`, `[::1]:port`.
 */
export function parseHostPattern(entry: string): HostPattern {
  const text = entry.trim().toLowerCase();
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!match) throw new Error(`"${entry}" is not host, host:port or *.domain (IPv6 in brackets)`);
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`"${entry}" has a port outside 1-65535`);
  let host = (match[1] as string).replace(/\.$/, '');
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  if (host.startsWith('[')) {
    const inner = host.slice(1, -1);
    if (wildcard || !ipaddr.IPv6.isValid(inner)) throw new Error(`"${entry}" is not a valid IPv6 address`);
    host = ipaddr.IPv6.parse(inner).toString();
  } else if (ipaddr.IPv4.isValidFourPartDecimal(host)) {
    if (wildcard) throw new Error(`"${entry}": a wildcard applies to names, not addresses`);
  } else if (!HOSTNAME.test(host) || host.includes('*')) {
    throw new Error(`"${entry}" is not a valid host name`);
  }
  return { host, wildcard, ...(port === undefined ? {} : { port }) };
}

/**
 * The defaults, then each layer of overrides in turn (an undefined field overrides nothing): the
 * environment's, then `createWorker`'s. Checks then throw naming the field.
 */
export function resolveLoaderSecurity(...layers: (Partial<LoaderSecurity> | undefined)[]): LoaderSecurity {
  const security: LoaderSecurity = Object.assign(
    { ...DEFAULT_LOADER_SECURITY },
    ...layers.map((layer) => stripUndefined(layer ?? {})),
  );
  if (security.privateNetworks !== 'allow' && security.privateNetworks !== 'deny')
    throw new Error(`loaderSecurity.privateNetworks must be allow or deny (got ${String(security.privateNetworks)})`);
  if (security.crossOriginRedirects !== 'allow' && security.crossOriginRedirects !== 'deny')
    throw new Error(
      `loaderSecurity.crossOriginRedirects must be allow or deny (got ${String(security.crossOriginRedirects)})`,
    );
  if (!Number.isInteger(security.maxRedirects) || security.maxRedirects < 0 || security.maxRedirects > 20)
    throw new Error(`loaderSecurity.maxRedirects must be an integer from 0 to 20 (got ${security.maxRedirects})`);
  if (security.allowedHosts !== undefined) {
    if (!Array.isArray(security.allowedHosts) || security.allowedHosts.length === 0)
      throw new Error('loaderSecurity.allowedHosts must list at least one host (leave it out for no allowlist)');
    security.allowedHosts.forEach((entry, i) => {
      try {
        parseHostPattern(entry);
      } catch (err) {
        throw new Error(`loaderSecurity.allowedHosts[${i}] ${(err as Error).message}`);
      }
    });
  }
  if (security.crossOriginRedirects === 'allow' && security.allowedHosts === undefined)
    throw new Error(
      'loaderSecurity.crossOriginRedirects allow (WARMING_LOADER_CROSS_ORIGIN_REDIRECTS) needs allowedHosts ' +
        '(WARMING_LOADER_HOSTS): redirects may only lead to listed hosts',
    );
  return security;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** How an address is classed: a cloud metadata endpoint, any other non-public address, or public. */
export function classifyAddress(address: string): { kind: 'metadata' | 'private' | 'public'; range: string } {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress()) parsed = parsed.toIPv4Address();
  if (METADATA_RANGES.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits)))
    return { kind: 'metadata', range: 'cloud metadata' };
  const range = parsed.range();
  return range === 'unicast' ? { kind: 'public', range } : { kind: 'private', range };
}

/** A URL's host as the policy compares it: lower case, no brackets, no trailing dot, IPv6 canonical. */
function hostOf(url: URL): string {
  const host = url.hostname
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  return ipaddr.IPv6.isValid(host) ? ipaddr.IPv6.parse(host).toString() : host;
}

function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

function isIpAddress(host: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(host) || ipaddr.IPv6.isValid(host);
}

/** `host:port` for messages, IPv6 in brackets. */
function hostPort(url: URL): string {
  return `${url.hostname}:${portOf(url)}`;
}

/**
 * The decisions of one LoaderSecurity: a refusal is one line naming the host and the rule,
 * undefined means allowed. The loader checks `url` before every hop, `address` for every address a
 * name resolves to (on the connection itself) and `redirect` for every redirect.
 */
export class LoaderHostPolicy {
  readonly security: LoaderSecurity;
  private readonly patterns: HostPattern[] | undefined;

  constructor(security: Partial<LoaderSecurity> = {}) {
    this.security = resolveLoaderSecurity(security);
    this.patterns = this.security.allowedHosts?.map(parseHostPattern);
  }

  /** Why a load may not call this URL's host, before any connection. */
  urlRefusal(url: URL): string | undefined {
    const host = hostOf(url);
    const port = portOf(url);
    if (this.patterns && !this.patterns.some((pattern) => matches(pattern, host, port)))
      return `host ${hostPort(url)} is not in the loader allowlist (WARMING_LOADER_HOSTS)`;
    if (METADATA_HOSTNAMES.includes(host) && !this.isListedExactly(host))
      return `host ${url.hostname} is a cloud metadata endpoint, refused unless listed exactly in WARMING_LOADER_HOSTS`;
    // A literal address is connected to without a lookup: check it here.
    return isIpAddress(host) ? this.addressRefusal(host, host) : undefined;
  }

  /** Why a load to `host` may not connect to `address`, one of the addresses `host` resolved to. */
  addressRefusal(host: string, address: string): string | undefined {
    const name = host
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1')
      .replace(/\.$/, '');
    const { kind, range } = classifyAddress(address);
    const what = name === address ? `address ${address} is` : `host ${host} resolves to ${address},`;
    if (kind === 'metadata' && !this.isListedExactly(name))
      return `${what} a cloud metadata address, refused unless the host is listed exactly in WARMING_LOADER_HOSTS`;
    if (kind !== 'public' && this.security.privateNetworks === 'deny' && !this.isListedExactly(name))
      return `${what} a ${range} address, refused by WARMING_LOADER_PRIVATE_NETWORKS=deny`;
    return undefined;
  }

  /** Why a load at `from` may not follow its redirect to `to` (the target's host is checked by `urlRefusal` next). */
  redirectRefusal(from: URL, to: URL): string | undefined {
    if (to.protocol !== 'http:' && to.protocol !== 'https:')
      return `${from.origin} redirected to a ${to.protocol} URL; only http and https are followed`;
    if (to.username !== '' || to.password !== '')
      return `${from.origin} redirected to a URL with embedded credentials, which is never followed`;
    if (to.origin === from.origin) return undefined;
    if (this.security.crossOriginRedirects === 'deny')
      return `${from.origin} redirected to another origin, ${to.origin}; cross-origin redirects are refused (WARMING_LOADER_CROSS_ORIGIN_REDIRECTS)`;
    return undefined;
  }

  /** Whether an entry without a wildcard names this host (any port). */
  private isListedExactly(host: string): boolean {
    return this.patterns?.some((pattern) => !pattern.wildcard && pattern.host === host) ?? false;
  }
}

function matches(pattern: HostPattern, host: string, port: number): boolean {
  if (pattern.port !== undefined && pattern.port !== port) return false;
  return pattern.wildcard ? host.endsWith(`.${pattern.host}`) : host === pattern.host;
}
