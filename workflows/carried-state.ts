// The state each long-running workflow carries across continue-as-new, read through one migration
// per type: whatever release wrote it, the run gets today's shape, or a workflow-task failure
// naming what is wrong (retried until a worker that understands it is deployed). A new shape gets
// a new `version` and a branch here that upgrades the older ones; test/replay decodes the carried
// state of every saved release with these functions. Pure: no I/O, importable from workflows.
import type {
  CarriedTaskState,
  CarriedUserLoginsState,
  CarriedUserSessionState,
  OptimizerState,
} from './carried-types';

/** The shape version each type carries today. Release 0.1 carried no `version` (read as 0). */
export const CARRIED_STATE_VERSIONS = {
  warmTaskWorkflow: 0,
  optimizerWorkflow: 0,
  userSessionWorkflow: 0,
  userLoginsWorkflow: 1,
} as const;

/** Thrown for carried state this code cannot read: fails the workflow task, never the workflow. */
export class CarriedStateError extends Error {
  override readonly name = 'CarriedStateError';
  /** True when the state is of a newer shape than this code knows (a newer worker wrote it). */
  readonly newerVersion: boolean;
  constructor(message: string, options: { newerVersion?: boolean } = {}) {
    super(message);
    this.newerVersion = options.newerVersion ?? false;
  }
}

type Fields = Record<
  string,
  'number' | 'string' | 'boolean' | 'object' | 'number|null' | 'string|null' | 'object|null'
>;

/** Checks the fields a type needs, naming the first that is missing or of the wrong kind. */
function expectFields(type: string, value: unknown, fields: Fields): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CarriedStateError(`${type}: carried state must be an object`);
  }
  for (const [name, kind] of Object.entries(fields)) {
    const field = (value as Record<string, unknown>)[name];
    const ok = kind.split('|').some((k) => (k === 'null' ? field === null : typeof field === k && field !== null));
    if (!ok) throw new CarriedStateError(`${type}: carried state field ${name} must be ${kind}`);
  }
}

function versionOf(type: string, value: unknown, known: number): number {
  const version = (value as { version?: unknown }).version ?? 0;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > known) {
    throw new CarriedStateError(
      `${type}: carried state version ${String(version)} is newer than this worker knows (${known}); deploy the newer worker`,
      { newerVersion: typeof version === 'number' && version > known },
    );
  }
  return version;
}

export function migrateCarriedTaskState(carried: unknown): CarriedTaskState | undefined {
  if (carried === undefined || carried === null) return undefined;
  const type = 'warmTaskWorkflow';
  expectFields(type, carried, {
    warmCount: 'number',
    failureCount: 'number',
    lastWarmAt: 'string|null',
    nextWarmAtMs: 'number',
    intervalMinutes: 'number',
    paused: 'boolean',
    since: 'string',
    generation: 'number',
    pendingForce: 'object|null',
  });
  versionOf(type, carried, CARRIED_STATE_VERSIONS.warmTaskWorkflow);
  return carried as unknown as CarriedTaskState;
}

export function migrateOptimizerState(carried: unknown): OptimizerState | undefined {
  if (carried === undefined || carried === null) return undefined;
  const type = 'optimizerWorkflow';
  expectFields(type, carried, {
    paused: 'boolean',
    cycles: 'number',
    everyMinutes: 'number',
    nextCycleAtMs: 'number|null',
    lastCycle: 'object|null',
    since: 'string',
    generation: 'number',
  });
  versionOf(type, carried, CARRIED_STATE_VERSIONS.optimizerWorkflow);
  return carried as unknown as OptimizerState;
}

export function migrateCarriedUserSessionState(carried: unknown): CarriedUserSessionState | undefined {
  if (carried === undefined || carried === null) return undefined;
  const type = 'userSessionWorkflow';
  expectFields(type, carried, {
    logins: 'number',
    preloads: 'number',
    failedPreloads: 'number',
    skipped: 'number',
    coalesced: 'number',
    rejected: 'number',
    lastLoginAtMs: 'number',
    lastCompleteAtMs: 'number|null',
    lastCompleteIncludedForms: 'boolean',
    idleMs: 'number',
    skipMs: 'number',
    pending: 'object|null',
    since: 'string',
    generation: 'number',
  });
  versionOf(type, carried, CARRIED_STATE_VERSIONS.userSessionWorkflow);
  return carried as unknown as CarriedUserSessionState;
}

export function migrateCarriedUserLogins(carried: unknown): CarriedUserLoginsState | undefined {
  if (carried === undefined || carried === null) return undefined;
  const type = 'userLoginsWorkflow';
  expectFields(type, carried, {
    logins: 'number',
    preloads: 'number',
    skipMs: 'number',
    users: 'object',
    since: 'string',
    generation: 'number',
  });
  const version = versionOf(type, carried, CARRIED_STATE_VERSIONS.userLoginsWorkflow);
  if (version !== 1) throw new CarriedStateError(`${type}: carried state needs a version (got ${version})`);
  if (!Array.isArray(carried.users)) throw new CarriedStateError(`${type}: carried state field users must be an array`);
  return carried as unknown as CarriedUserLoginsState;
}
