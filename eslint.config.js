// Lint rules from the house style; workflows get an extra fence against I/O and Node builtins, and
// every layer folder may import only the layers below it (docs/architecture.md).
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');
const noTypeCycle = require('./eslint-rules/no-type-cycle');

const nodeBuiltins = require('module').builtinModules;

/**
 * The layers, bottom to top. A folder may import from the folders before it, never after. worker/
 * and client/ are the two top roles, side by side: neither imports the other, so a client process
 * never loads the Temporal worker (and a worker never needs the CLI).
 */
const LAYERS = ['core', 'store', 'config', 'activities', 'workflows', 'tracing', 'worker', 'client'];
const SIBLINGS = { worker: ['client'], client: ['worker'] };

const layerZones = LAYERS.flatMap((layer, i) =>
  [...new Set([...LAYERS.slice(i + 1), ...(SIBLINGS[layer] ?? [])])].map((other) => ({
    target: `./${layer}`,
    from: `./${other}`,
    message: `${layer}/ may not import from ${other}/: imports go down the layers ${LAYERS.join(' < ')} (docs/architecture.md).`,
  })),
);

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', '.tmp/**', 'coverage/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    plugins: { 'import-x': importX, local: { rules: { 'no-type-cycle': noTypeCycle } } },
    // Resolve `../client/x` to client/x.ts, so the layer and cycle rules see TypeScript imports.
    // The extensions and parser let import-x read the modules it resolves: without them it parses only
    // .js files, and no-cycle, which follows each import into the imported module, saw no cycle at all.
    settings: {
      'import-x/resolver-next': [importX.createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      // import-x/no-cycle cannot count type imports (no option for it): this rule adds the cycles it misses.
      'local/no-type-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: __dirname, zones: layerZones }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['workflows/**/*.ts', 'core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'ioredis', message: 'Workflows and core logic do no I/O: call an activity.' },
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows and core logic may not use Node builtins.' })),
            ...nodeBuiltins.map((name) => ({
              name: `node:${name}`,
              message: 'Workflows and core logic may not use Node builtins.',
            })),
          ],
          patterns: [
            {
              group: ['**/store/*', '**/config/*', '**/activities/*', '**/tracing/*', '**/client/*', '**/worker/*'],
              allowTypeImports: true,
              message: 'Only types may cross into workflow code.',
            },
          ],
        },
      ],
    },
  },
  { files: ['**/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
