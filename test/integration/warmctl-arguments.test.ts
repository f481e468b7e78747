// Bad command lines for the built warmctl binary: each is refused with exit 2 and one line on
// stderr naming the problem, before anything is sent (Temporal here is unreachable on purpose,
// which would be exit 1), and nothing is printed on stdout.
import { runWarmctlBinary } from '../helpers/run-warmctl';

const UNREACHABLE = { TEMPORAL_ADDRESS: '127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1' };

test.each<[string[], RegExp]>([
  [['frobnicate'], /unknown command 'frobnicate'/],
  [['tasks', '--colour'], /unknown option '--colour'/],
  [['status'], /missing required argument 'task'/],
  [['status', 'no spaces allowed'], /a task id is 1-128 letters/],
  [['status', '-leading-dash'], /unknown option|a task id/],
  [['warm', 'a', '--parallel', '0'], /--parallel.*must be a positive integer/],
  [['warm', '--critical', '--parallel', 'lots'], /--parallel.*must be a positive integer/],
  [['warm', '--tag', 'bad tag'], /a tag is 1-64 letters/],
  [['stats', '--since', '5 fortnights'], /--since/],
  [['stats', '--since', '99999d'], /a window is at most 3650d/],
  [['stats', '--task', '../etc'], /a task id is 1-128 letters/],
  [['invalidate', '--tag', ''], /a tag is 1-64 letters/],
  [['stats', '--tag', 'a tag'], /a tag is 1-64 letters/],
  [['pause'], /pause takes exactly one of: TASK, --tag T/],
  [['resume', 'a', '--tag', 'b'], /resume takes exactly one of: TASK, --tag T/],
  [['pause', '--tag', 'bad tag'], /a tag is 1-64 letters/],
  [['login', ''], /user/i],
  [['login', 'a\nb'], /value 'a\\nb' is invalid .*whitespace or control characters/],
  [['apply', '-f'], /option '-f, --file <path>' argument missing/],
])('warmctl %j exits 2 with one line naming the problem', async (args, message) => {
  const result = await runWarmctlBinary(args, UNREACHABLE);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/^warmctl: /);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
});

test('a config file that is missing or truncated exits 1 with one line, before connecting', async () => {
  const missing = await runWarmctlBinary(['apply', '-f', '/nonexistent/warming.json'], UNREACHABLE);
  expect(missing).toMatchObject({ code: 1, stdout: '' });
  expect(missing.stderr).toBe('warmctl: invalid config: /nonexistent/warming.json: no such file\n');
});
