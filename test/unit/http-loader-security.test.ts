// The HTTP loader's security stance against real local HTTP servers: redirects, the headers each
// origin receives, the limiter slot each hop takes, refused hosts and addresses, and what its
// failures say (never a token, never a header value).
import { ApplicationFailure } from '@temporalio/common';
import dns from 'node:dns';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpLoaderClient } from '../../activities/http-loader-client';
import { resolveLimits } from '../../activities/limits';
import { FailureTypes, Loaders, type LoadRequest } from '../../activities/loaders';
import { OriginLimiter } from '../../activities/origin-limiter';
import type { HeaderValue } from '../../core/config-schema';
import type { LoaderSecurity } from '../../core/loader-security';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin';

const limits = resolveLimits({ loaderTimeoutMs: 5_000 });
const TOKEN = 'tok-9f8e7d6c5b4a';

let home: TestOrigin;
let other: TestOrigin;
/** Headers each origin received, per path. */
const received = new Map<string, IncomingHttpHeaders>();
const opened: { limiter: OriginLimiter; http: HttpLoaderClient }[] = [];

beforeAll(async () => {
  other = await startTestOrigin({
    '/landing': (request) => {
      received.set(`other${request.url}`, request.headers);
      return { body: 'from the other origin' };
    },
  });
  home = await startTestOrigin({
    '/value': (request) => {
      received.set(`home${request.url}`, request.headers);
      return { body: 'home value' };
    },
    '/moved': () => ({ status: 301, headers: { location: '/value' } }),
    '/away': () => ({ status: 302, headers: { location: `${other.url}/landing` } }),
    '/loop': (_request, hit) => ({ status: 307, headers: { location: `/loop?n=${hit}` } }),
    '/chain': (request) => {
      const n = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('n') ?? 0);
      return n < 5 ? { status: 302, headers: { location: `/chain?n=${n + 1}` } } : { body: `after ${n}` };
    },
  });
});

afterAll(async () => {
  for (const { limiter, http } of opened) {
    await limiter.stop();
    await http.close();
  }
  await home.close();
  await other.close();
});

function loaders(security: Partial<LoaderSecurity> = {}, env: Record<string, string> = {}) {
  const limiter = new OriginLimiter(limits);
  const http = new HttpLoaderClient(security);
  opened.push({ limiter, http });
  return { limiter, loaders: new Loaders({ limiter, limits, http, env }) };
}

function request(url: string, headers: Record<string, HeaderValue> = {}): LoadRequest {
  return {
    spec: { type: 'http', url, headers },
    vars: {},
    signal: new AbortController().signal,
    heartbeat: () => undefined,
  };
}

/** What a load threw (failing the test if it succeeded). */
async function failureOf(load: Promise<unknown>): Promise<Error> {
  const err = await load.then(
    () => new Error('the load succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

/** What a load threw, asserting it is a failure that will not be retried. */
async function permanentFailure(load: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await failureOf(load);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect((err as ApplicationFailure).nonRetryable).toBe(true);
  return err as ApplicationFailure;
}

const apiKey = { 'X-Api-Key': TOKEN };

test('a same-origin redirect is followed, with the loader headers', async () => {
  const body = await loaders().loaders.load(request(`${home.url}/moved`, apiKey));
  expect(body.toString()).toBe('home value');
  expect(received.get('home/value')?.['x-api-key']).toBe(TOKEN);
});

test('a redirect to another origin fails the load permanently, and the other origin is never called', async () => {
  const before = other.hitsFor('/landing');
  const err = await permanentFailure(loaders().loaders.load(request(`${home.url}/away`, apiKey)));
  expect(err.type).toBe(FailureTypes.loaderRefused);
  expect(err.message).toBe(
    `${home.url} redirected to another origin, ${other.url}; cross-origin redirects are refused (WARMING_LOADER_CROSS_ORIGIN_REDIRECTS)`,
  );
  expect(other.hitsFor('/landing')).toBe(before);
});

test('an allowed cross-origin redirect reaches the other origin without the loader headers', async () => {
  received.delete('other/landing');
  const { loaders: allowed } = loaders({
    crossOriginRedirects: 'allow',
    allowedHosts: [new URL(home.url).host, new URL(other.url).host],
  });
  const body = await allowed.load(request(`${home.url}/away`, { ...apiKey, Authorization: `Bearer ${TOKEN}` }));
  expect(body.toString()).toBe('from the other origin');
  const headers = received.get('other/landing');
  expect(headers).toBeDefined();
  expect(headers?.['x-api-key']).toBeUndefined();
  expect(headers?.authorization).toBeUndefined();
  expect(JSON.stringify(headers)).not.toContain(TOKEN);
});

test('each hop of a redirect takes a slot of the origin it calls', async () => {
  const { limiter, loaders: allowed } = loaders({
    crossOriginRedirects: 'allow',
    allowedHosts: [new URL(home.url).host, new URL(other.url).host],
  });
  const seen: { home: number; other: number }[] = [];
  other.route('/counted', () => {
    seen.push({ home: limiter.pending(home.url), other: limiter.pending(other.url) });
    return { body: 'counted' };
  });
  home.route('/to-counted', () => ({ status: 302, headers: { location: `${other.url}/counted` } }));
  await allowed.load(request(`${home.url}/to-counted`));
  // While the other origin answered, its slot was taken and the first origin's given back.
  expect(seen).toEqual([{ home: 0, other: 1 }]);
});

test('at most 5 redirects are followed; a sixth fails the load permanently', async () => {
  const { loaders: plain } = loaders();
  expect((await plain.load(request(`${home.url}/chain`))).toString()).toBe('after 5');
  const err = await permanentFailure(plain.load(request(`${home.url}/loop?token=${TOKEN}`)));
  expect(err.message).toBe(`GET ${home.url}/loop?token=*** was redirected more than 5 times`);
});

test('a cloud metadata address or name is refused before any connection', async () => {
  const { loaders: plain } = loaders();
  for (const [url, rule] of [
    [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      /^address 169\.254\.169\.254 is a cloud metadata address/,
    ],
    ['http://[fd00:ec2::254]/latest/meta-data/', /^address fd00:ec2::254 is a cloud metadata address/],
    [
      'http://metadata.google.internal/computeMetadata/v1/',
      /^host metadata\.google\.internal is a cloud metadata endpoint/,
    ],
  ] as const) {
    const err = await permanentFailure(plain.load(request(url)));
    expect(err.type).toBe(FailureTypes.loaderRefused);
    expect(err.message).toMatch(rule);
  }
});

test('a name that resolves to a metadata address is refused on the connection', async () => {
  const lookup = jest
    .spyOn(dns, 'lookup')
    .mockImplementation(((
      _host: string,
      _options: unknown,
      callback: (err: null, addresses: dns.LookupAddress[]) => void,
    ) => callback(null, [{ address: '169.254.169.254', family: 4 }])) as unknown as typeof dns.lookup);
  try {
    const err = await permanentFailure(loaders().loaders.load(request('http://imds.example.test/latest/meta-data/')));
    expect(err.message).toBe(
      'host imds.example.test resolves to 169.254.169.254, a cloud metadata address, refused unless the host is listed exactly in WARMING_LOADER_HOSTS',
    );
  } finally {
    lookup.mockRestore();
  }
});

test('DNS rebinding: the connection goes to the address that was checked, and a name turned metadata is refused', async () => {
  // `origin.example.test` exists only in this lookup, which answers 127.0.0.1 once and the
  // metadata address after that: reaching the test origin proves the socket used the checked
  // answer rather than resolving again.
  const port = new URL(home.url).port;
  let calls = 0;
  const lookup = jest
    .spyOn(dns, 'lookup')
    .mockImplementation(((
      _host: string,
      _options: unknown,
      callback: (err: null, addresses: dns.LookupAddress[]) => void,
    ) =>
      callback(null, [
        { address: calls++ === 0 ? '127.0.0.1' : '169.254.169.254', family: 4 },
      ])) as unknown as typeof dns.lookup);
  try {
    const body = await loaders().loaders.load(request(`http://origin.example.test:${port}/value`));
    expect(body.toString()).toBe('home value');
    expect(calls).toBe(1);
    // A new connection resolves again, and is checked again.
    const err = await permanentFailure(loaders().loaders.load(request(`http://origin.example.test:${port}/value`)));
    expect(err.message).toMatch(/^host origin\.example\.test resolves to 169\.254\.169\.254, a cloud metadata address/);
  } finally {
    lookup.mockRestore();
  }
});

test('an allowlist refuses a host it does not list, and the host is never called', async () => {
  const before = other.hitsFor('/landing');
  const { loaders: listed } = loaders({ allowedHosts: [new URL(home.url).host] });
  expect((await listed.load(request(`${home.url}/value`))).toString()).toBe('home value');
  const err = await permanentFailure(listed.load(request(`${other.url}/landing`)));
  expect(err.message).toBe(`host ${new URL(other.url).host} is not in the loader allowlist (WARMING_LOADER_HOSTS)`);
  expect(other.hitsFor('/landing')).toBe(before);
});

test('private networks deny refuses 127.0.0.1 reached through a name, unless that name is listed', async () => {
  const port = new URL(home.url).port;
  const before = home.hitsFor('/value');
  const err = await permanentFailure(
    loaders({ privateNetworks: 'deny' }).loaders.load(request(`http://localhost:${port}/value`)),
  );
  expect(err.type).toBe(FailureTypes.loaderRefused);
  expect(err.message).toMatch(
    /^host localhost resolves to (127\.0\.0\.1|::1), a loopback address, refused by WARMING_LOADER_PRIVATE_NETWORKS=deny$/,
  );
  expect(home.hitsFor('/value')).toBe(before);
  // Allowed by default, and when the operator lists the host exactly.
  expect((await loaders().loaders.load(request(`http://localhost:${port}/value`))).toString()).toBe('home value');
  const listed = loaders({ privateNetworks: 'deny', allowedHosts: [`localhost:${port}`] }).loaders;
  expect((await listed.load(request(`http://localhost:${port}/value`))).toString()).toBe('home value');
});

test('a token in the loader URL never appears in the failure', async () => {
  const { loaders: plain } = loaders();
  const rejected = await permanentFailure(plain.load(request(`${home.url}/missing?id=1&access_token=${TOKEN}`)));
  expect(rejected.message).toBe(`GET ${home.url}/missing?id=1&access_token=*** answered 404 Not Found`);
  const unreachable = await failureOf(plain.load(request(`http://127.0.0.1:1/x?api_key=${TOKEN}`)));
  expect(unreachable.message).toMatch(/^GET http:\/\/127\.0\.0\.1:1\/x\?api_key=\*\*\* failed: /);
  expect(unreachable.stack).not.toContain(TOKEN);
  const badTemplate = await permanentFailure(plain.load({ ...request(`${home.url}/p/{id}?token=${TOKEN}`), vars: {} }));
  expect(badTemplate.message).not.toContain(TOKEN);
});

test("a custom loader's error is redacted before it leaves the activity", async () => {
  const limiter = new OriginLimiter(limits);
  opened.push({ limiter, http: new HttpLoaderClient() });
  const custom = new Loaders({
    limiter,
    limits,
    registry: {
      fails: async () => {
        throw new Error(`GET https://api.example/v1?key=${TOKEN} refused`);
      },
    },
  });
  const err = await failureOf(custom.load({ ...request(''), spec: { type: 'custom', name: 'fails' } }));
  expect(err.message).toBe('GET https://api.example/v1?key=*** refused');
  expect(err.stack).not.toContain(TOKEN);
});

test('a header value never appears in a failure, even one fetch would quote', async () => {
  const err = await permanentFailure(
    loaders().loaders.load(request(`${home.url}/value`, { Authorization: `Bearer ${TOKEN}\r\nX-Injected: 1` })),
  );
  expect(err.message).toBe(
    'header Authorization has a value that is not valid in HTTP (line breaks or other control characters)',
  );
  expect(err.stack).not.toContain(TOKEN);
});

test('a header given as { env } is read from the worker environment at load time; a missing one fails naming only the variable', async () => {
  received.delete('home/value');
  const withEnv = loaders({}, { ORIGIN_TOKEN: TOKEN }).loaders;
  await withEnv.load(request(`${home.url}/value`, { Authorization: { env: 'ORIGIN_TOKEN' } }));
  expect(received.get('home/value')?.authorization).toBe(TOKEN);
  const err = await permanentFailure(
    loaders({}, {}).loaders.load(request(`${home.url}/value`, { Authorization: { env: 'ORIGIN_TOKEN' } })),
  );
  expect(err.type).toBe(FailureTypes.missingEnvironment);
  expect(err.message).toBe(
    'header Authorization reads environment variable ORIGIN_TOKEN, which is not set in this worker',
  );
});
