// warmctl never echoes a credential it was given: a mistyped --redis-url (or --api-key) is refused
// in one line that names the flag and the problem, without the value. No servers: it fails parsing.
import { runWarmctl } from '../../cli/warmctl';

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await runWarmctl(argv), stderr };
  } finally {
    write.mockRestore();
  }
}

test.each([
  [
    'redis://:s3cret@bad host',
    /^warmctl: option --redis-url: must be a redis:\/\/ or rediss:\/\/ URL \(value not shown\)\n$/,
  ],
  ['redis:/:s3cret@host:6379', /^warmctl: option --redis-url: must be a redis:\/\/ or rediss:\/\/ URL/],
  ['http://user:s3cret@host:6379', /^warmctl: option --redis-url: must be a redis/],
])('a mistyped --redis-url %s is refused without printing its password', async (url, line) => {
  const { code, stderr } = await run(['--redis-url', url, 'tasks']);
  expect(code).toBe(2);
  expect(stderr).toMatch(line);
  expect(stderr).not.toContain('s3cret');
});

test('a blank --api-key is refused without echoing it', async () => {
  const { code, stderr } = await run(['tasks', '--api-key', ' ']);
  expect(code).toBe(2);
  expect(stderr).toBe('warmctl: option --api-key: an API key must not be empty (value not shown)\n');
});
