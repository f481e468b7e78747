// Reads the saved replay fixtures: one folder per released version under test/replay, each with a
// manifest.json written by `npm run capture-histories` and one history JSON file per workflow run.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayManifest } from '../../scripts/capture-histories';

export const REPLAY_ROOT = __dirname;

/** Every workflow type, and the release that introduced it: a fixture set covers each type of its release. */
export const WORKFLOW_TYPES = {
  bulkWarmWorkflow: '0.1.0',
  optimizerWorkflow: '0.1.0',
  preloadUserWorkflow: '0.1.0',
  userSessionWorkflow: '0.1.0',
  warmTaskWorkflow: '0.1.0',
  userLoginsWorkflow: '0.2.0',
} as const;

/** The workflow types a release had. */
export function workflowTypesOf(version: string): string[] {
  const newer = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true }) > 0;
  return Object.entries(WORKFLOW_TYPES)
    .filter(([, introduced]) => !newer(introduced, version))
    .map(([type]) => type)
    .sort();
}

/** Every saved version's manifest, oldest first. */
export function loadReplayManifests(): ReplayManifest[] {
  return readdirSync(REPLAY_ROOT, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(REPLAY_ROOT, entry.name, 'manifest.json')))
    .map((entry) => JSON.parse(readFileSync(join(REPLAY_ROOT, entry.name, 'manifest.json'), 'utf8')) as ReplayManifest)
    .sort((a, b) => a.capturedAt.localeCompare(b.capturedAt));
}

/** The parsed JSON of one saved history. */
export function readFixtureHistory(version: string, file: string): { events: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(join(REPLAY_ROOT, version, file), 'utf8')) as { events: Record<string, unknown>[] };
}
