// The loader security stance end to end, through task workflows on a real Temporal: a refusal is
// one permanent attempt, and a token in a loader URL never reaches what the workflow returns,
// its status, its history's failures and details, stats, the report or warmctl's output.
import { renderHtmlReport } from '../../report/html-report';
import { taskWorkflowId } from '../../core/workflow-ids';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { stackEnv, uniqueName, waitFor } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(60_000);

const stack = useTestStack();
const origin = useTestOrigin();
const other = useTestOrigin();

const TOKEN = 'tok-4c1d2e3f5a6b';

async function applyTask(url: string) {
  const taskId = uniqueName('sec');
  await stack.warming.apply({
    tasks: [{ taskId, cacheKey: `${taskId}:v`, loader: { type: 'http', url }, ttlSeconds: 600, intervalMinutes: 60 }],
  });
  await waitFor('the first warm', async () => {
    const status = await stack.warming.status(taskId);
    return status.warmCount + status.failureCount >= 1;
  });
  return taskId;
}

test('a redirect to another origin fails the warm at once, without retries, and the other origin is never called', async () => {
  const path = `/${uniqueName('away')}`;
  origin.route(path, () => ({ status: 302, headers: { location: `${other.url}/landing` } }));
  const taskId = await applyTask(`${origin.url}${path}`);
  const outcome = await stack.warming.warm(taskId);
  expect(outcome?.ok).toBe(false);
  expect(outcome?.error).toBe(
    `LoaderRefused: ${origin.url} redirected to another origin, ${other.url}; cross-origin redirects are refused (WARMING_LOADER_CROSS_ORIGIN_REDIRECTS)`,
  );
  // The first warm and this one: one attempt each.
  expect(origin.hitsFor(path)).toBe(2);
  expect(other.hitsFor('/landing')).toBe(0);
});

test('a token in a loader URL never appears in the failure, status, history failures and details, stats, report or warmctl', async () => {
  const path = `/${uniqueName('gone')}`;
  origin.route(path, () => ({ status: 404, body: 'no such thing' }));
  const taskId = await applyTask(`${origin.url}${path}?id=1&access_token=${TOKEN}`);

  const outcome = await stack.warming.warm(taskId);
  expect(outcome?.error).toBe(`OriginRejected: GET ${origin.url}${path}?id=1&access_token=*** answered 404 Not Found`);
  const status = await stack.warming.status(taskId);
  expect(status.lastError).toContain('access_token=***');
  expect(JSON.stringify(status)).not.toContain(TOKEN);

  // History: the task spec carries the URL by design (docs/security.md); failures and the details
  // the Temporal UI shows must not.
  const handle = stack.temporal.workflow.getHandle(taskWorkflowId(taskId));
  const history = await handle.fetchHistory();
  const failures = JSON.stringify(
    (history.events ?? []).flatMap((event) => [
      event.markerRecordedEventAttributes?.failure,
      event.activityTaskFailedEventAttributes?.failure,
      event.workflowTaskFailedEventAttributes?.failure,
    ]),
  );
  expect(failures).toContain('access_token=***');
  expect(failures).not.toContain(TOKEN);
  const details = await (await handle.describe()).staticDetails();
  expect(details).toContain('access_token=***');
  expect(details).not.toContain(TOKEN);

  const data = await stack.warming.reportData({ taskId });
  expect(JSON.stringify(data)).toContain('access_token=***');
  expect(JSON.stringify(data)).not.toContain(TOKEN);
  expect(renderHtmlReport(data)).not.toContain(TOKEN);

  const env = stackEnv(stack);
  for (const args of [
    ['status', taskId, '--json'],
    ['warm', taskId],
    ['stats', '--task', taskId, '--json'],
  ]) {
    const cli = await runWarmctlBinary(args, env);
    expect(`${cli.stdout}${cli.stderr}`).not.toContain(TOKEN);
  }
});
