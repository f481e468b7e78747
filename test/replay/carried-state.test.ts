// The state every saved release carried across continue-as-new still decodes with today's
// migrations (workflows/carried-state.ts), and a state this code cannot read is refused with the
// field or version named, never silently misread.
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import {
  CarriedStateError,
  migrateCarriedTaskState,
  migrateCarriedUserLogins,
  migrateCarriedUserSessionState,
  migrateOptimizerState,
} from '../../workflows';
import { loadReplayManifests, readFixtureHistory } from './replay-fixtures';

const MIGRATIONS: Record<string, (carried: unknown) => unknown> = {
  warmTaskWorkflow: migrateCarriedTaskState,
  optimizerWorkflow: migrateOptimizerState,
  userSessionWorkflow: migrateCarriedUserSessionState,
  userLoginsWorkflow: migrateCarriedUserLogins,
};

/** The `carried` field of each run's start input that has one, by workflow type. */
function carriedStates(): { version: string; file: string; type: string; carried: unknown }[] {
  return loadReplayManifests().flatMap((manifest) =>
    manifest.fixtures.flatMap((fixture) => {
      const history = historyFromJSON(readFixtureHistory(manifest.version, fixture.file));
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      const input = payload ? defaultPayloadConverter.fromPayload<{ carried?: unknown }>(payload) : undefined;
      return input?.carried === undefined
        ? []
        : [{ version: manifest.version, file: fixture.file, type: fixture.workflowType, carried: input.carried }];
    }),
  );
}

const states = carriedStates();

test('every long-running workflow type has carried state saved from a real continue-as-new', () => {
  const types = new Set(states.map((s) => s.type));
  for (const type of ['warmTaskWorkflow', 'optimizerWorkflow', 'userSessionWorkflow', 'userLoginsWorkflow'])
    expect(types).toContain(type);
});

test.each(states.map((s) => [s.version, s.file, s] as const))(
  'the state carried in %s %s decodes with today’s migration',
  (_version, _file, state) => {
    const migrate = MIGRATIONS[state.type];
    expect(migrate).toBeDefined();
    const migrated = migrate?.(state.carried) as { generation: number; since: string };
    expect(migrated.generation).toBeGreaterThanOrEqual(1);
    expect(Number.isNaN(Date.parse(migrated.since))).toBe(false);
  },
);

test('a carried state from a newer release, or with a field missing, is refused naming why', () => {
  const task = states.find((s) => s.type === 'warmTaskWorkflow')?.carried as Record<string, unknown>;
  expect(() => migrateCarriedTaskState({ ...task, version: 7 })).toThrow(
    new CarriedStateError(
      'warmTaskWorkflow: carried state version 7 is newer than this worker knows (0); deploy the newer worker',
    ),
  );
  expect(() => migrateCarriedTaskState({ ...task, warmCount: 'many' })).toThrow(
    'warmTaskWorkflow: carried state field warmCount must be number',
  );
  expect(() =>
    migrateCarriedUserLogins({ version: 1, logins: 1, preloads: 1, skipMs: 0, users: {}, since: 'x', generation: 1 }),
  ).toThrow('userLoginsWorkflow: carried state field users must be an array');
  expect(migrateCarriedTaskState(undefined)).toBeUndefined();
});
