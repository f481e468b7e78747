// Jest runs TypeScript through swc (no type-check here; `npm run typecheck` does that).
// Two projects: `unit` needs no servers (`npx jest --selectProjects unit`); `servers` (integration,
// faults, replay) shares one Temporal dev server and one redis-server, started by
// test/global-setup.ts only when a test of that project runs. Plain `jest` runs both.
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
      displayName: 'servers',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration', '<rootDir>/test/faults', '<rootDir>/test/replay'],
      testMatch: ['**/*.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
