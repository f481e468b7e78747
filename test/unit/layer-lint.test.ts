// The layer order is enforced by `npm run lint` (eslint.config.js, import-x/no-restricted-paths):
// probe files placed in the layer folders prove that an import going up a layer, or between the
// worker and client roles, fails the lint, and that one going down passes. ESLint runs as its CLI
// in a child process, as `npm run lint` runs it (and because it loads its config by dynamic import).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '../..');
const RULE = 'import-x/no-restricted-paths';

/** Lints a probe module with `source` at `<folder>/<unique>.ts`, then removes it. */
function layerErrors(probes: Record<string, string>): Record<string, string[]> {
  const tag = randomBytes(4).toString('hex');
  const files = Object.keys(probes).map((folder) => join(ROOT, folder, `layer-probe-${tag}.ts`));
  try {
    Object.values(probes).forEach((source, i) => writeFileSync(files[i] as string, source));
    const eslint = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', '--no-warn-ignored', ...files],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (eslint.status !== 0 && eslint.status !== 1) throw new Error(`eslint failed: ${eslint.stderr}`);
    const results = JSON.parse(eslint.stdout) as {
      filePath: string;
      messages: { ruleId: string | null; message: string }[];
    }[];
    return Object.fromEntries(
      Object.keys(probes).map((folder, i) => {
        const result = results.find((r) => r.filePath === files[i]);
        if (!result) throw new Error(`eslint did not lint ${files[i]}`);
        return [folder, result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message)];
      }),
    );
  } finally {
    for (const file of files) rmSync(file, { force: true });
  }
}

test('an import up the layers, or between worker and client, fails the lint; one down passes', () => {
  const errors = layerErrors({
    core: "import { createWarmingClient } from '../client/warming-client';\nexport const up = createWarmingClient;\n",
    store: "import type { Activities } from '../activities/create-activities';\nexport type Up = Activities;\n",
    client: "import { createWorker } from '../worker/create-worker';\nexport const across = createWorker;\n",
    activities: "import { redisKeys } from '../store/redis-keys';\nexport const down = redisKeys;\n",
  });
  expect(errors.core).toEqual([expect.stringContaining('core/ may not import from client/')]);
  // Type imports count too: a layer may not even name the types of a layer above it.
  expect(errors.store).toEqual([expect.stringContaining('store/ may not import from activities/')]);
  expect(errors.client).toEqual([expect.stringContaining('client/ may not import from worker/')]);
  expect(errors.activities).toEqual([]);
});
