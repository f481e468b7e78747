// Jest runs TypeScript through swc (no type-check here; `npm run typecheck` does that).
// Three projects: `unit` needs no servers and no build (`npx jest --selectProjects unit`);
// `package` checks the built package's entry points (after `npm run build`); `servers`
// (integration, faults, replay, fuzz) shares one Temporal dev server, started with the
// deployment's limits, and one redis-server, started by test/global-setup.ts only when a test of
// that project runs. Plain `jest` runs all three.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  maxWorkers: 2,
  verbose: true,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
    {
      displayName: 'package',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/package'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
    {
      displayName: 'servers',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration', '<rootDir>/test/faults', '<rootDir>/test/replay', '<rootDir>/test/fuzz'],
      testMatch: ['**/*.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
