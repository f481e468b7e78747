// warmctl report --html end to end: real warms, an applied interval change, an optimiser re-plan
// and a user preload, rendered by the built binary and checked in headless Chromium.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userPreloadStatus } from '../../client/user-preload-status';
import type { WarmingStats } from '../../client/history-stats';
import type { WarmingConfigInput } from '../../core/config-schema';
import { formatDurationMs } from '../../core/durations';
import { runWarmctlBinary } from '../helpers/run-warmctl';
import { createTestStack, stackEnv, uniqueName, waitFor, type TestStack } from '../helpers/test-env';
import { startTestOrigin, type TestOrigin } from '../helpers/test-origin';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the screenshot of the real report goes, for people to look at. */
const SCREENSHOT = resolve(__dirname, '../../.tmp/report.png');

let stack: TestStack;
let origin: TestOrigin;
let browser: Browser;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), 'warm-report-'));

beforeAll(async () => {
  [stack, origin, browser] = await Promise.all([
    createTestStack(),
    startTestOrigin(),
    chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
  ]);
  env = stackEnv(stack);
  await stack.startWorker();
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await origin?.close();
});

/** The totals tiles as the report should show them for these stats. */
function expectedTiles(stats: WarmingStats): Record<string, string> {
  return {
    totalWarmings: String(stats.totalWarmings),
    successRate: `${Math.round((1000 * stats.succeeded) / stats.totalWarmings) / 10}%`,
    efficiencyScore: stats.useful + stats.wasted > 0 ? `${stats.efficiencyScore}%` : '–',
    userPreloads: String(stats.userPreloads),
    p95DurationMs: formatDurationMs(stats.p95DurationMs),
  };
}

test('warmctl report --html draws every warm, task, interval change and preload, and renders in Chromium', async () => {
  const run = uniqueName('rep');
  const fixed = `${run}-fixed`;
  const adaptive = `${run}-adaptive`;
  // A key that is also markup: it must show as text, never run.
  const hostileKey = `${run}:<script>alert(1)</script>`;
  origin.route(`/${fixed}`, (_req, hit) => ({ body: `f${hit}` }));
  origin.route(`/${adaptive}`, (_req, hit) => (hit === 2 ? { status: 404, body: 'gone' } : { body: `a${hit}` }));
  const user = uniqueName('user');
  origin.route(`/${run}/users/${user}/session`, () => ({ body: '{"s":1}' }));
  const config = (fixedIntervalMinutes: number): WarmingConfigInput => ({
    tasks: [
      {
        taskId: fixed,
        cacheKey: `${run}:fixed`,
        loader: { type: 'http', url: `${origin.url}/${fixed}` },
        ttlSeconds: 600,
        intervalMinutes: fixedIntervalMinutes,
        adaptive: false,
      },
      {
        taskId: adaptive,
        cacheKey: hostileKey,
        loader: { type: 'http', url: `${origin.url}/${adaptive}` },
        ttlSeconds: 600,
        intervalMinutes: 60,
      },
    ],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/${run}/users/{userId}/session` },
        key: `${run}:user:{userId}:session`,
        ttlSeconds: 600,
      },
    },
  });

  await stack.warming.apply(config(60));
  await waitFor('first warms', async () => (await stack.redis.exists(`${run}:fixed`, hostileKey)) === 2);
  await stack.warming.warm(fixed);
  await stack.warming.warm(fixed);
  expect((await stack.warming.warm(adaptive))?.ok).toBe(false); // the origin answers 404 once
  await stack.warming.warm(adaptive);
  // Two interval changes: one applied by config, one re-planned by the optimiser (no reads: 120 min).
  await stack.warming.apply(config(30));
  await stack.warming.optimize();
  await waitFor('the re-plan', async () => (await stack.warming.status(adaptive)).intervalMinutes === 120);
  await notifyUserLoggedIn(stack.temporal, user, { taskQueue: stack.taskQueue });
  await waitFor('the preload', async () => {
    const status = await userPreloadStatus(stack.temporal, user, { taskQueue: stack.taskQueue });
    return status?.preloads === 1 && status.state === 'idle';
  });
  await waitFor('the preload in visibility', async () => (await stack.warming.stats()).userPreloads === 1);

  const statsRun = await runWarmctlBinary(['stats', '--json'], env);
  expect(statsRun).toMatchObject({ code: 0, stderr: '' });
  const stats = JSON.parse(statsRun.stdout) as WarmingStats;
  const warmsAtOrigin = origin.hitsFor(`/${fixed}`) + origin.hitsFor(`/${adaptive}`);
  expect(stats).toMatchObject({ totalWarmings: warmsAtOrigin, failed: 1, userPreloads: 1 });
  expect(warmsAtOrigin).toBe(6);

  const file = join(dir, 'report.html');
  const reportRun = await runWarmctlBinary(['report', '--html', file], env);
  expect(reportRun).toMatchObject({ code: 0, stderr: '' });
  expect(reportRun.stdout).toContain(`wrote ${file}: 6 warms of 2 tasks, 1 user preload`);

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('request', (request) => requests.push(request.url()));
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });

  // Every chart is there and has a size on screen.
  for (const id of ['chart-durations', 'chart-efficiency', 'chart-intervals', 'chart-preloads']) {
    const box = await page.locator(`svg#${id}`).boundingBox();
    expect({ id, width: (box?.width ?? 0) > 100, height: (box?.height ?? 0) > 50 }).toEqual({
      id,
      width: true,
      height: true,
    });
  }
  // One point per warm (the failure among them), inside its chart.
  const points = page.locator('svg#chart-durations .warm-point');
  expect(await points.count()).toBe(warmsAtOrigin);
  expect(await page.locator('svg#chart-durations .warm-point.failed').count()).toBe(1);
  const chartBox = await page.locator('svg#chart-durations').boundingBox();
  for (const box of await Promise.all((await points.all()).map((p) => p.boundingBox()))) {
    expect(box && chartBox && box.width > 0 && box.x >= chartBox.x && box.y >= chartBox.y - 1).toBeTruthy();
    expect(box && chartBox && box.x + box.width <= chartBox.x + chartBox.width + 1).toBeTruthy();
  }
  // One bar group per task, with a useful/wasted/pending split summing to its successful warms.
  expect(await page.locator('svg#chart-efficiency .bar-group').count()).toBe(2);
  expect(await page.locator(`svg#chart-efficiency .bar-group[data-task="${fixed}"] rect`).count()).toBeGreaterThan(0);
  // A step per interval change: the applied 60 -> 30 and the optimiser's 60 -> 120.
  expect(await page.locator(`svg#chart-intervals .interval-change[data-task="${fixed}"]`).count()).toBe(1);
  const replans = page.locator(`svg#chart-intervals .interval-change[data-task="${adaptive}"]`);
  expect(await replans.count()).toBe(1);
  expect(await replans.getAttribute('data-cause')).toBe('setInterval');
  expect(await page.locator('svg#chart-intervals .interval-line').count()).toBe(2);
  // The preload, and its p50/p95 lines.
  expect(await page.locator('svg#chart-preloads .preload-point').count()).toBe(1);
  expect(await page.locator('svg#chart-preloads .pct-line').count()).toBe(2);

  // The totals agree with warmctl stats --json.
  const tiles: Record<string, string> = {};
  for (const key of Object.keys(expectedTiles(stats)))
    tiles[key] = (await page.locator(`[data-stat="${key}"] .value`).textContent()) ?? '';
  expect(tiles).toEqual(expectedTiles(stats));

  // The hostile key is text in the table; nothing from data became an element.
  expect(await page.locator(`#task-table tr[data-task="${adaptive}"] .key`).textContent()).toBe(
    hostileKey.length > 28 ? `${hostileKey.slice(0, 27)}…` : hostileKey,
  );
  expect(await page.locator(`#task-table tr[data-task="${adaptive}"] .key`).getAttribute('title')).toBe(hostileKey);
  expect(await page.locator('script').count()).toBe(0);

  // Self-contained: the file was the only thing loaded, and nothing complained.
  expect(requests).toEqual([url]);
  expect(problems).toEqual([]);

  mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await page.close();

  // --task narrows the page to one task; user preloads are not tasks.
  const oneFile = join(dir, 'one.html');
  expect(await runWarmctlBinary(['report', '--html', oneFile, '--task', fixed], env)).toMatchObject({ code: 0 });
  const one = await browser.newPage();
  await one.goto(pathToFileURL(oneFile).href);
  expect(await one.locator('svg#chart-durations .warm-point').count()).toBe(origin.hitsFor(`/${fixed}`));
  expect(await one.locator('svg#chart-efficiency .bar-group').count()).toBe(1);
  expect(await one.locator('svg#chart-preloads').count()).toBe(0);
  expect(await one.locator('#preloads').textContent()).toContain('User preloads are not tasks');
  await one.close();
});

test('warmctl report fails with one line when the file cannot be written', async () => {
  const missing = join(dir, 'no-such-dir', 'report.html');
  const result = await runWarmctlBinary(['report', '--html', missing], env);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(`warmctl: cannot write ${missing}: directory ${resolve(missing, '..')} does not exist\n`);
  const directory = await runWarmctlBinary(['report', '--html', dir], env);
  expect(directory).toMatchObject({ code: 1, stderr: `warmctl: cannot write ${dir}: it is a directory\n` });
  const usage = await runWarmctlBinary(['report'], env);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/^warmctl: required option '--html <file>' not specified\n$/);
});

test('report and stats reject a bad --since, --task or --html with one line and exit 2, writing nothing', async () => {
  const file = join(dir, 'never.html');
  const cases: [string[], RegExp][] = [
    [['report', '--html', file, '--since', 'yesterday'], /'yesterday' is invalid\. "yesterday" is not a duration/],
    [['report', '--html', file, '--since', '0s'], /must be longer than zero/],
    [['report', '--html', file, '--since', '99999d'], /a window is at most 3650d/],
    [['report', '--html', file, '--task', 'no spaces'], /a task id is 1-128 letters/],
    [['report', '--html', ''], /--html <file>' argument '' is invalid\. needs a file name/],
    [['stats', '--since', '99999d'], /a window is at most 3650d/],
    [['stats', '--task', '../etc'], /a task id is 1-128 letters/],
  ];
  for (const [args, message] of cases) {
    const result = await runWarmctlBinary(args, env);
    expect({ args, code: result.code, lines: result.stderr.trimEnd().split('\n').length }).toEqual({
      args,
      code: 2,
      lines: 1,
    });
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  }
  expect(existsSync(file)).toBe(false);
});
