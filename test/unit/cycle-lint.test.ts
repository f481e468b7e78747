// Import cycles fail `npm run lint` whether they run through values (import-x/no-cycle) or through
// type imports, which that rule skips (eslint-rules/no-type-cycle.js): probe modules placed in
// workflows/ prove both, and that imports in one direction only pass. ESLint runs as its CLI.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { lintProbes, ROOT } from '../helpers/lint-probes';

jest.setTimeout(120_000);

const RULES = ['import-x/no-cycle', 'local/no-type-cycle'];

/** Lints probe modules `name -> source` in workflows/ (`./NAME` in a source names a probe), then removes them. */
function cycleErrors(probes: Record<string, string>): Record<string, string[]> {
  const tag = randomBytes(4).toString('hex');
  const fileOf = (name: string) => join(ROOT, 'workflows', `cycle-probe-${tag}-${name}.ts`);
  const linted = lintProbes(
    Object.fromEntries(
      Object.entries(probes).map(([name, source]) => [
        fileOf(name),
        source.replace(/'\.\/(\w+)'/g, `'./cycle-probe-${tag}-$1'`),
      ]),
    ),
  );
  return Object.fromEntries(
    Object.keys(probes).map((name) => [
      name,
      (linted[fileOf(name)] ?? []).filter((m) => RULES.includes(m.ruleId)).map((m) => m.ruleId),
    ]),
  );
}

test('a circle of type imports fails the lint, as a circle of values does; one direction passes', () => {
  const errors = cycleErrors({
    // a circle of two type-only imports, as carried-state.ts and the workflows once were
    typeA: "import type { B } from './typeB';\nexport interface A {\n  b?: B;\n}\n",
    typeB: "import type { A } from './typeA';\nexport interface B {\n  a?: A;\n}\n",
    // a value import one way, a type import back
    mixedA: "import { b } from './mixedB';\nexport type A = { n: number };\nexport const a = b;\n",
    mixedB: "import type { A } from './mixedA';\nexport const b: A = { n: 1 };\n",
    valueA: "import { b } from './valueB';\nexport const a = (): number => b();\n",
    valueB: "import { a } from './valueA';\nexport const b = (): number => a();\n",
    downA: "import type { B } from './downB';\nexport type A = B;\n",
    downB: 'export type B = number;\n',
  });
  expect(errors.typeA).toEqual(['local/no-type-cycle']);
  expect(errors.typeB).toEqual(['local/no-type-cycle']);
  expect(errors.mixedA).toEqual(['local/no-type-cycle']);
  expect(errors.mixedB).toEqual(['local/no-type-cycle']);
  // A circle of values is import-x/no-cycle's, reported once, not again by the type rule.
  expect(errors.valueA).toEqual(['import-x/no-cycle']);
  expect(errors.valueB).toEqual(['import-x/no-cycle']);
  expect(errors.downA).toEqual([]);
  expect(errors.downB).toEqual([]);
});
