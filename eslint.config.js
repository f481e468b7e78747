// Lint rules from the house style; workflows get an extra fence against I/O and Node builtins.
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');

const nodeBuiltins = require('module').builtinModules;

module.exports = tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tools/**', '.data/**', '.tmp/**', 'coverage/**', 'bench/results/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
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
              group: ['**/activities/*', '**/client/*', '**/worker/*'],
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
