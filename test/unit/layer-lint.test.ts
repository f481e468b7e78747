// The layer order is enforced by `npm run lint` (eslint.config.js, import-x/no-restricted-paths):
// probe files placed in the layer folders prove that an import going up a layer, or between the
// worker and client roles, fails the lint, and that one going down passes. ESLint runs as its CLI
// in a child process, as `npm run lint` runs it (and because it loads its config by dynamic import).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { lintProbes, ROOT } from '../helpers/lint-probes';

jest.setTimeout(120_000);

const RULE = 'import-x/no-restricted-paths';

/** Lints a probe module with `source` at `<folder>/<unique>.ts`, then removes it. */
function layerErrors(probes: Record<string, string>): Record<string, string[]> {
  const tag = randomBytes(4).toString('hex');
  const fileOf = (folder: string) => join(ROOT, folder, `layer-probe-${tag}.ts`);
  const linted = lintProbes(
    Object.fromEntries(Object.entries(probes).map(([folder, source]) => [fileOf(folder), source])),
  );
  return Object.fromEntries(
    Object.keys(probes).map((folder) => [
      folder,
      (linted[fileOf(folder)] ?? []).filter((m) => m.ruleId === RULE).map((m) => m.message),
    ]),
  );
}

test('an import up the layers, or between worker and client, fails the lint; one down passes', () => {
  const errors = layerErrors({
    core: "import { createWarmingClient } from '../client/warming-client';\nexport const up = createWarmingClient;\n",
    store: "import type { Activities } from '../activities/create-activities';\nexport type Up = Activities;\n",
    client: "import { createWorker } from '../worker/create-worker';\nexport const across = createWorker;\n",
    activities: "import { redisKeys } from '../store/redis-keys';\nexport const down = redisKeys;\n",
    // tracing/ sits above workflows/ and below the two roles, which both call it.
    tracing: "import { createWorker } from '../worker/create-worker';\nexport const up = createWorker;\n",
    workflows: "import { withSpan } from '../tracing/with-span';\nexport const up = withSpan;\n",
  });
  expect(errors.core).toEqual([expect.stringContaining('core/ may not import from client/')]);
  // Type imports count too: a layer may not even name the types of a layer above it.
  expect(errors.store).toEqual([expect.stringContaining('store/ may not import from activities/')]);
  expect(errors.client).toEqual([expect.stringContaining('client/ may not import from worker/')]);
  expect(errors.activities).toEqual([]);
  expect(errors.tracing).toEqual([expect.stringContaining('tracing/ may not import from worker/')]);
  expect(errors.workflows).toEqual([expect.stringContaining('workflows/ may not import from tracing/')]);
});

test('the client-side roles are layers too: cache < client < report < cli, and the cache client loads no Temporal code', () => {
  const errors = layerErrors({
    // The cache client may not reach Temporal code, though workflows/ sits below it in the order.
    cache: "import { taskWorkflowId } from '../workflows/definitions';\nexport const temporal = taskWorkflowId;\n",
    client: "import { renderHtmlReport } from '../report/html-report';\nexport const up = renderHtmlReport;\n",
    report: "import { buildProgram } from '../cli/program';\nexport const up = buildProgram;\n",
    cli: "import { createWorker } from '../worker/create-worker';\nexport const across = createWorker;\n",
  });
  expect(errors.cache).toEqual([expect.stringContaining('cache/ may not import from workflows/')]);
  expect(errors.client).toEqual([expect.stringContaining('client/ may not import from report/')]);
  expect(errors.report).toEqual([expect.stringContaining('report/ may not import from cli/')]);
  expect(errors.cli).toEqual([expect.stringContaining('cli/ may not import from worker/')]);

  const down = layerErrors({
    cache: "import { redisKeys } from '../store/redis-keys';\nexport const down = redisKeys;\n",
    client: "import { createCacheClient } from '../cache/cache-client';\nexport const down = createCacheClient;\n",
    report: "import type { ReportData } from '../client/report-data';\nexport type Down = ReportData;\n",
    cli: "import { renderHtmlReport } from '../report/html-report';\nexport const down = renderHtmlReport;\n",
  });
  expect(down).toEqual({ cache: [], client: [], report: [], cli: [] });
});
