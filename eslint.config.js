// Lint rules from the house style; workflows get an extra fence against I/O and Node builtins, and
// every layer folder may import only the layers below it (docs/architecture.md).
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');
const noTypeCycle = require('./eslint-rules/no-type-cycle');

const nodeBuiltins = require('module').builtinModules;

/**
 * The layers, bottom to top. A folder may import from the folders before it, never after, and the
 * roles above the worker keep out of the folders FENCED names: the cache client (cache/) loads
 * nothing of Temporal, and no client-side role (cache/, client/, report/, cli/) loads the worker.
 */
const LAYERS = [
  'core',
  'store',
  'config',
  'activities',
  'workflows',
  'tracing',
  'worker',
  'cache',
  'client',
  'report',
  'cli',
];
const FENCED = {
  cache: {
    folders: ['activities', 'workflows', 'tracing', 'worker'],
    why: 'the cache client applications read through loads nothing of Temporal',
  },
  client: { folders: ['worker'], why: 'a client process never loads the Temporal worker' },
  report: { folders: ['worker'], why: 'a client process never loads the Temporal worker' },
  cli: { folders: ['worker'], why: 'a client process never loads the Temporal worker' },
};

const layerZones = LAYERS.flatMap((layer, i) => [
  ...LAYERS.slice(i + 1).map((other) => ({
    target: `./${layer}`,
    from: `./${other}`,
    message: `${layer}/ may not import from ${other}/: imports go down the layers ${LAYERS.join(' < ')} (docs/architecture.md).`,
  })),
  ...(FENCED[layer]?.folders ?? []).map((other) => ({
    target: `./${layer}`,
    from: `./${other}`,
    message: `${layer}/ may not import from ${other}/: ${FENCED[layer].why} (docs/architecture.md).`,
  })),
]);

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
              group: [
                '**/store/*',
                '**/config/*',
                '**/activities/*',
                '**/tracing/*',
                '**/worker/*',
                '**/cache/*',
                '**/client/*',
                '**/report/*',
                '**/cli/*',
              ],
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
