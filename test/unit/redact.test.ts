// The one redaction helper: URL credentials and secret query values never survive it, whatever
// the text around them, and nothing else is changed.
import fc from 'fast-check';
import { isSecretParameter, redact, redactError } from '../../core/redact';

test.each([
  ['redis://:s3cret@redis:6379', 'redis://***@redis:6379'],
  ['redis://warmer:s3cret@redis:6379/2', 'redis://***@redis:6379/2'],
  ['https://ghp_s3cret@github.com/org/repo', 'https://***@github.com/org/repo'],
  // A mistyped URL is where a password leaks most: it never parses.
  ['REDIS_URL "redis://:s3cret@bad host" is not a URL', 'REDIS_URL "redis://***@bad host" is not a URL'],
  ['redis://:my s3cret@host:6379', 'redis://***@host:6379'],
  // Cluster seed lists: every node's credentials, with or without a scheme.
  ['redis://:s3cret@h1:6379,redis://:s3cret@h2:6379', 'redis://***@h1:6379,redis://***@h2:6379'],
  ['redis://:s3cret@h1:6379,:s3cret@h2:6379,h3:6379', 'redis://***@h1:6379,***@h2:6379,h3:6379'],
  ['GET http://o:8080/p?id=7&token=s3cret answered 404', 'GET http://o:8080/p?id=7&token=*** answered 404'],
  ['http://o/p?api_key=s3cret&API-KEY=s3cret&apiKey=s3cret', 'http://o/p?api_key=***&API-KEY=***&apiKey=***'],
  [
    'https://b.s3.amazonaws.com/k?X-Amz-Credential=s3cret&X-Amz-Signature=s3cret&X-Amz-Security-Token=s3cret&X-Amz-Expires=60',
    'https://b.s3.amazonaws.com/k?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Security-Token=***&X-Amz-Expires=60',
  ],
  ['https://a.blob.core.windows.net/c/b?sv=2022&sig=s3cret', 'https://a.blob.core.windows.net/c/b?sv=2022&sig=***'],
  ['https://app/cb#access_token=s3cret&state=x', 'https://app/cb#access_token=***&state=x'],
  ['http://o/p?client_secret=s3cret;password=s3cret', 'http://o/p?client_secret=***;password=***'],
  ['http://o/p?acc%65ss_token=s3cret', 'http://o/p?acc%65ss_token=***'],
])('redacts %s', (text, expected) => {
  expect(redact(text)).toBe(expected);
});

test.each([
  'http://127.0.0.1:8080/products/{id}?page=2&sort=name',
  'warm-task:catalog failed: OriginRejected: answered 404',
  'user alice@example.com logged in',
  'http://origin:8080/users/{userId}/forms',
])('leaves %s as it is', (text) => {
  expect(redact(text)).toBe(text);
});

test.each(['token', 'access_token', 'refresh-token', 'ID_TOKEN', 'apikey', 'x-api-key', 'key', 'sig', 'auth', 'pwd'])(
  '%s is a secret parameter',
  (name) => expect(isSecretParameter(name)).toBe(true),
);

test.each(['id', 'page', 'sort', 'monkey', 'keyword', 'signup', 'author'])('%s is not a secret parameter', (name) =>
  expect(isSecretParameter(name)).toBe(false),
);

const secretValue = fc.stringMatching(/^[A-Za-z0-9%._~-]{6,40}$/).map((value) => `Zq${value}`);
const secretName = fc.constantFrom('token', 'api_key', 'X-Amz-Signature', 'password', 'client_secret', 'sig', 'Auth');
const plainName = fc.constantFrom('id', 'page', 'lang');
const around = fc.constantFrom('GET %s failed', '"%s"', 'see %s, then retry', '%s', '(%s)');

test('a secret query value never survives, wherever it sits in the URL and the text', () => {
  fc.assert(
    fc.property(
      secretValue,
      secretName,
      fc.array(fc.tuple(plainName, fc.stringMatching(/^[a-z0-9]{0,8}$/)), { maxLength: 3 }),
      fc.nat(3),
      fc.constantFrom('?', '#'),
      around,
      (secret, name, others, at, separator, template) => {
        const params = others.map(([n, v]) => `${n}=${v}`);
        params.splice(Math.min(at, params.length), 0, `${name}=${secret}`);
        const url = `https://origin.example:8443/a/b${separator}${params.join('&')}`;
        const out = redact(template.replace('%s', url));
        expect(out).not.toContain(secret);
        for (const [n, v] of others) expect(out).toContain(`${n}=${v}`);
      },
    ),
  );
});

test('URL credentials never survive, in one URL or a seed list', () => {
  fc.assert(
    fc.property(
      secretValue,
      fc.constantFrom('', 'warmer'),
      fc.integer({ min: 1, max: 3 }),
      fc.boolean(),
      (secret, user, nodes, withScheme) => {
        const seeds = Array.from({ length: nodes }, (_, i) =>
          i === 0 || withScheme ? `redis://${user}:${secret}@h${i}:6379` : `${user}:${secret}@h${i}:6379`,
        );
        expect(redact(`Redis ${seeds.join(',')}`)).not.toContain(secret);
      },
    ),
  );
});

test('redacting twice changes nothing more', () => {
  fc.assert(
    fc.property(fc.string(), secretValue, (noise, secret) => {
      const once = redact(`${noise} redis://:${secret}@h:1/x?token=${secret} ${noise}`);
      expect(redact(once)).toBe(once);
    }),
  );
});

test('redactError redacts the message and stack of an error and its causes, in place', () => {
  const cause = new Error('connect to http://o/p?token=s3cret refused');
  const err = new Error('GET http://u:s3cret@o/p failed', { cause });
  expect(redactError(err)).toBe(err);
  expect(err.message).toBe('GET http://***@o/p failed');
  expect(err.stack).not.toContain('s3cret');
  expect(cause.message).toBe('connect to http://o/p?token=*** refused');
  expect(cause.stack).not.toContain('s3cret');
});
