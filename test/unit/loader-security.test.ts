// The loader security policy's decisions, pure: which hosts, addresses and redirects it refuses,
// and that the defaults keep the contract's origins (127.0.0.1, compose's `origin`) working.
import fc from 'fast-check';
import { classifyAddress, LoaderHostPolicy, parseHostPattern, resolveLoaderSecurity } from '../../core/loader-security';
import { readEnvironment } from '../../config/environment';

const url = (text: string) => new URL(text);

test('with the defaults, hosts named in the config are allowed whatever they resolve to, metadata excepted', () => {
  const policy = new LoaderHostPolicy();
  for (const origin of ['http://127.0.0.1:8080/products', 'http://origin:8080/products', 'http://localhost/x']) {
    expect(policy.urlRefusal(url(origin))).toBeUndefined();
  }
  expect(policy.addressRefusal('origin', '172.18.0.5')).toBeUndefined();
  expect(policy.addressRefusal('localhost', '::1')).toBeUndefined();
  expect(policy.urlRefusal(url('http://169.254.169.254/latest/meta-data/'))).toMatch(
    /^address 169\.254\.169\.254 is a cloud metadata address, refused unless/,
  );
  expect(policy.urlRefusal(url('http://[fd00:ec2::254]/latest'))).toMatch(/cloud metadata address/);
  expect(policy.urlRefusal(url('http://[::ffff:169.254.169.254]/'))).toMatch(/cloud metadata address/);
  expect(policy.urlRefusal(url('http://metadata.google.internal/computeMetadata/v1/'))).toBe(
    'host metadata.google.internal is a cloud metadata endpoint, refused unless listed exactly in WARMING_LOADER_HOSTS',
  );
  expect(policy.urlRefusal(url('http://METADATA./'))).toMatch(/cloud metadata endpoint/);
  expect(policy.addressRefusal('imds.internal', '169.254.169.254')).toBe(
    'host imds.internal resolves to 169.254.169.254, a cloud metadata address, refused unless the host is listed exactly in WARMING_LOADER_HOSTS',
  );
});

test('every IPv4 link-local address is refused as metadata unless the host is listed exactly', () => {
  fc.assert(
    fc.property(fc.nat(255), fc.nat(255), (c, d) => {
      const address = `169.254.${c}.${d}`;
      expect(new LoaderHostPolicy().addressRefusal('some.host', address)).toMatch(/cloud metadata/);
      expect(
        new LoaderHostPolicy({ allowedHosts: ['some.host'] }).addressRefusal('some.host', address),
      ).toBeUndefined();
      expect(new LoaderHostPolicy({ allowedHosts: ['*.host'] }).addressRefusal('some.host', address)).toMatch(
        /cloud metadata/,
      );
    }),
  );
});

test('an allowlist refuses every host it does not list, by name, port and wildcard', () => {
  const policy = new LoaderHostPolicy({
    allowedHosts: ['origin:8080', '*.api.example.com', '127.0.0.1', '[::1]:9000'],
  });
  const allowed = [
    'http://origin:8080/x',
    'https://eu.api.example.com/x',
    'https://a.b.api.example.com:8443/x',
    'http://127.0.0.1:1234/x',
    'http://[::1]:9000/x',
    'http://ORIGIN:8080/x',
  ];
  for (const origin of allowed) expect(policy.urlRefusal(url(origin))).toBeUndefined();
  expect(policy.urlRefusal(url('http://origin:8081/x'))).toBe(
    'host origin:8081 is not in the loader allowlist (WARMING_LOADER_HOSTS)',
  );
  for (const refused of ['http://origin/x', 'https://api.example.com/x', 'http://evil.com/x', 'http://[::1]:9001/']) {
    expect(policy.urlRefusal(url(refused))).toMatch(/is not in the loader allowlist/);
  }
});

test('private networks deny refuses every non-public address, unless the host is listed exactly', () => {
  const policy = new LoaderHostPolicy({ privateNetworks: 'deny' });
  const refused: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['::ffff:10.0.0.1', 'private'],
  ];
  for (const [address, range] of refused) {
    expect(policy.addressRefusal('localhost', address)).toBe(
      `host localhost resolves to ${address}, a ${range} address, refused by WARMING_LOADER_PRIVATE_NETWORKS=deny`,
    );
  }
  expect(policy.urlRefusal(url('http://127.0.0.1:8080/'))).toMatch(
    /^address 127\.0\.0\.1 is a loopback address, refused/,
  );
  for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) {
    expect(policy.addressRefusal('example.com', address)).toBeUndefined();
  }
  const listed = new LoaderHostPolicy({ privateNetworks: 'deny', allowedHosts: ['origin:8080', '*.corp'] });
  expect(listed.addressRefusal('origin', '172.18.0.5')).toBeUndefined();
  expect(listed.addressRefusal('db.corp', '10.0.0.7')).toMatch(/private address, refused/);
});

test('public unicast addresses are never refused, in either mode', () => {
  fc.assert(
    fc.property(fc.ipV4(), (address) => {
      fc.pre(classifyAddress(address).kind === 'public');
      expect(new LoaderHostPolicy({ privateNetworks: 'deny' }).addressRefusal('h.example', address)).toBeUndefined();
    }),
  );
});

test('redirects: same origin followed, another origin refused unless allowed, other schemes and credentials never', () => {
  const deny = new LoaderHostPolicy();
  const from = url('http://origin:8080/a');
  expect(deny.redirectRefusal(from, url('http://origin:8080/b?x=1'))).toBeUndefined();
  expect(deny.redirectRefusal(from, url('http://evil.example/steal'))).toBe(
    'http://origin:8080 redirected to another origin, http://evil.example; cross-origin redirects are refused (WARMING_LOADER_CROSS_ORIGIN_REDIRECTS)',
  );
  expect(deny.redirectRefusal(from, url('https://origin:8080/b'))).toMatch(/another origin/);
  expect(deny.redirectRefusal(from, url('http://origin:8081/b'))).toMatch(/another origin/);
  expect(deny.redirectRefusal(from, url('file:///etc/passwd'))).toMatch(/file: URL; only http and https/);
  expect(deny.redirectRefusal(from, url('http://u:p@origin:8080/b'))).toMatch(/embedded credentials/);
  const allow = new LoaderHostPolicy({ crossOriginRedirects: 'allow', allowedHosts: ['origin:8080', 'cdn.example'] });
  expect(allow.redirectRefusal(from, url('https://cdn.example/b'))).toBeUndefined();
  // The target's host is then checked like any hop's:
  expect(allow.urlRefusal(url('http://evil.example/'))).toMatch(/not in the loader allowlist/);
});

test('settings are checked once, naming the field', () => {
  expect(resolveLoaderSecurity()).toEqual({ privateNetworks: 'allow', crossOriginRedirects: 'deny', maxRedirects: 5 });
  expect(() => resolveLoaderSecurity({ crossOriginRedirects: 'allow' })).toThrow(
    /crossOriginRedirects allow .* needs allowedHosts/,
  );
  expect(() => resolveLoaderSecurity({ allowedHosts: [] })).toThrow(/allowedHosts must list at least one host/);
  expect(() => resolveLoaderSecurity({ allowedHosts: ['ok', 'bad host'] })).toThrow(
    /^loaderSecurity.allowedHosts\[1\] "bad host" is not/,
  );
  expect(() => resolveLoaderSecurity({ privateNetworks: 'block' as 'deny' })).toThrow(
    /privateNetworks must be allow or deny/,
  );
  expect(() => resolveLoaderSecurity({ maxRedirects: -1 })).toThrow(/maxRedirects must be an integer/);
  // A later layer beats an earlier one; an undefined field overrides nothing.
  expect(resolveLoaderSecurity({ privateNetworks: 'deny' }, { privateNetworks: undefined }).privateNetworks).toBe(
    'deny',
  );
});

test.each([
  ['origin', { host: 'origin', wildcard: false }],
  ['Origin:8080', { host: 'origin', wildcard: false, port: 8080 }],
  ['*.example.com', { host: 'example.com', wildcard: true }],
  ['*.example.com:443', { host: 'example.com', wildcard: true, port: 443 }],
  ['10.0.0.1:80', { host: '10.0.0.1', wildcard: false, port: 80 }],
  ['[::1]:9000', { host: '::1', wildcard: false, port: 9000 }],
  ['[0:0::1]', { host: '::1', wildcard: false }],
])('parses the allowlist entry %s', (entry, expected) => {
  expect(parseHostPattern(entry)).toEqual(expected);
});

test.each(['', 'a b', 'host:0', 'host:70000', '*', '*.', 'a.*.com', '*.10.0.0.1', '[nope]', '::1', 'http://x'])(
  'refuses the allowlist entry %j',
  (entry) => {
    expect(() => parseHostPattern(entry)).toThrow();
  },
);

test('the environment sets the policy, naming the variable when a value is wrong', () => {
  expect(readEnvironment({}).loaderSecurity).toEqual({});
  expect(
    readEnvironment({
      WARMING_LOADER_HOSTS: 'origin:8080, *.example.com',
      WARMING_LOADER_PRIVATE_NETWORKS: 'deny',
      WARMING_LOADER_CROSS_ORIGIN_REDIRECTS: 'ALLOW',
    }).loaderSecurity,
  ).toEqual({ allowedHosts: ['origin:8080', '*.example.com'], privateNetworks: 'deny', crossOriginRedirects: 'allow' });
  expect(() => readEnvironment({ WARMING_LOADER_HOSTS: 'ok,bad host' })).toThrow(
    /^WARMING_LOADER_HOSTS entry 2 "bad host" is not/,
  );
  expect(() => readEnvironment({ WARMING_LOADER_PRIVATE_NETWORKS: 'block' })).toThrow(
    'WARMING_LOADER_PRIVATE_NETWORKS must be allow or deny (got "block")',
  );
  expect(() => readEnvironment({ WARMING_LOADER_CROSS_ORIGIN_REDIRECTS: 'yes' })).toThrow(
    'WARMING_LOADER_CROSS_ORIGIN_REDIRECTS must be deny or allow (got "yes")',
  );
});
