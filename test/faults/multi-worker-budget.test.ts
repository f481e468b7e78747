// Three worker processes of one deployment against one origin that records its concurrent
// requests and their arrival times: with the shipped shared budget, the origin sees the config's
// cap and rate, not three times them; with `WARMING_ORIGIN_BUDGET=worker` (each process its own
// budget) the same run goes over the cap, which is what proves the loads were spread over the three.
import { stackEnv, uniqueName, waitFor } from '../helpers/test-env';
import { killWorkerProcesses, startWorkerProcess } from '../helpers/worker-process';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';
import type { TestStack } from '../helpers/test-env';

jest.setTimeout(120_000);

const sharedStack = useTestStack({ worker: false });
const perWorkerStack = useTestStack({ worker: false });
const origin = useTestOrigin();

afterAll(async () => {
  await killWorkerProcesses();
});

const TASKS = 24;
const CAP = 3;
const RATE = 8;

/** Applies TASKS tasks on one origin path to `stack` with three workers; resolves with when each request arrived and the most in flight. */
async function firstWarms(stack: TestStack, budget: 'shared' | 'worker') {
  const run = uniqueName('budget');
  const arrivals: number[] = [];
  let inFlight = 0;
  let most = 0;
  origin.routeUnder(`/${run}/`, async () => {
    arrivals.push(Date.now());
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, 300));
    inFlight--;
    return { body: 'v' };
  });
  const env = {
    ...stackEnv(stack),
    WARMING_ORIGIN_CONCURRENCY: String(CAP),
    WARMING_ORIGIN_RATE_PER_SECOND: String(RATE),
    WARMING_ORIGIN_BUDGET: budget,
  };
  const workers = [startWorkerProcess(env), startWorkerProcess(env), startWorkerProcess(env)];
  await Promise.all(workers.map((w) => w.polling()));
  await stack.warming.apply({
    tasks: Array.from({ length: TASKS }, (_, i) => ({
      taskId: `${run}-${i}`,
      cacheKey: `${run}:${i}`,
      loader: { type: 'http' as const, url: `${origin.url}/${run}/${i}` },
      ttlSeconds: 600,
      intervalMinutes: 60,
    })),
  });
  await waitFor(
    'every first warm written',
    async () => (await stack.redis.exists(...Array.from({ length: TASKS }, (_, i) => `${run}:${i}`))) === TASKS,
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  await Promise.all(workers.map((w) => w.stop()));
  for (const w of workers) expect(await w.exited).toBe(0);
  return { arrivals: arrivals.sort((a, b) => a - b), most };
}

test('three workers sharing the budget keep the origin within its cap and rate together', async () => {
  const { arrivals, most } = await firstWarms(sharedStack, 'shared');
  expect(arrivals).toHaveLength(TASKS);
  expect(most).toBeLessThanOrEqual(CAP);
  // Starts are spaced by Redis's clock; the origin sees them some ms later, and not always by the
  // same few (a worker's first request also opens its connection; on a loaded CI machine one came
  // more than 50 ms late): any 800 ms hold at most the rate. Three budgets of their own would put
  // about 19 loads in 800 ms.
  for (const t of arrivals) expect(arrivals.filter((u) => u >= t && u < t + 800).length).toBeLessThanOrEqual(RATE);
  // 24 loads at 8 a second span at least two full windows.
  expect((arrivals.at(-1) as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(1900);
});

test('with a budget per worker, the same three workers go over the cap (the loads were spread)', async () => {
  const { arrivals, most } = await firstWarms(perWorkerStack, 'worker');
  expect(arrivals).toHaveLength(TASKS);
  expect(most).toBeGreaterThan(CAP);
});
