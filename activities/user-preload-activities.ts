// Activities of the user preload besides warmKey: reading the applied user-preload settings and
// listing a user's most recent forms. Built by a factory that receives its dependencies.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { formatZodError, userPreloadSchema, type LoaderSpec, type UserPreloadSpec } from '../core/config-schema';
import { parseFormsList, pickRecentForms } from '../core/recent-forms';
import { userIdProblem } from '../core/user-login';
import { FailureTypes, type Loaders } from './loaders';

/** As warmKey's: well inside the 20 s heartbeat timeout of the preload's activities. */
const HEARTBEAT_EVERY_MS = 5_000;

/** Where the config `warmctl apply` stored is read from (Redis key `<prefix>config` in the worker). */
export interface AppliedConfigReader {
  /** The applied config as JSON, or null when none was applied. */
  readAppliedConfig(): Promise<string | null>;
  /** Everything under this prefix belongs to the system; preloads never write there. */
  readonly reservedPrefix: string;
}

export interface UserPreloadActivityDeps {
  loaders: Loaders;
  /** Without it, readUserPreloadSettings fails saying the worker was built without one. */
  appliedConfig?: AppliedConfigReader;
}

/** The applied `userPreload` section (settings only: metadata, fine in workflow history). */
export interface UserPreloadSettings {
  preload: UserPreloadSpec;
  reservedPrefix: string;
}

export interface ListUserFormsInput {
  /** The `forms.list` loader; its templates may use `{userId}`. */
  loader: LoaderSpec;
  userId: string;
  /** How many of the most recent forms to return. */
  max: number;
}

/** Form ids only: the list itself (titles, contents) never leaves the activity. */
export interface ListUserFormsResult {
  /** The `max` most recent form ids, most recent first. */
  formIds: string[];
  /** How many entries the list had. */
  listed: number;
  sizeBytes: number;
  durationMs: number;
}

/** Failure types of these activities, for retry policies and callers. */
export const UserPreloadFailureTypes = {
  notConfigured: 'UserPreloadNotConfigured',
  badConfig: 'UserPreloadBadConfig',
} as const;

export function createUserPreloadActivities(deps: UserPreloadActivityDeps) {
  const { loaders, appliedConfig } = deps;

  return {
    /** The `userPreload` section of the applied config; fails without retry when there is none. */
    async readUserPreloadSettings(): Promise<UserPreloadSettings> {
      if (!appliedConfig) {
        throw ApplicationFailure.nonRetryable(
          'this worker was built without access to the applied config, so user preload is off',
          UserPreloadFailureTypes.notConfigured,
        );
      }
      const text = await appliedConfig.readAppliedConfig();
      if (text === null) {
        throw ApplicationFailure.nonRetryable(
          'no config has been applied: run `warmctl apply` with a userPreload section',
          UserPreloadFailureTypes.notConfigured,
        );
      }
      let config: unknown;
      try {
        config = JSON.parse(text);
      } catch {
        throw ApplicationFailure.nonRetryable(
          'the applied config is not valid JSON',
          UserPreloadFailureTypes.badConfig,
        );
      }
      const section =
        typeof config === 'object' && config !== null ? (config as Record<string, unknown>).userPreload : undefined;
      if (section === undefined) {
        throw ApplicationFailure.nonRetryable(
          'the applied config has no userPreload section: add one and run `warmctl apply`',
          UserPreloadFailureTypes.notConfigured,
        );
      }
      const parsed = userPreloadSchema.safeParse(section);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(
          `the applied config is invalid: ${formatZodError(parsed.error, 'userPreload')}`,
          UserPreloadFailureTypes.badConfig,
        );
      }
      return { preload: parsed.data, reservedPrefix: appliedConfig.reservedPrefix };
    },

    /** Loads a user's forms list and returns the ids of the `max` most recent forms. */
    async listUserForms(input: ListUserFormsInput): Promise<ListUserFormsResult> {
      const problem = userIdProblem(input.userId);
      if (problem) throw ApplicationFailure.nonRetryable(problem, FailureTypes.badInput);
      if (!Number.isInteger(input.max) || input.max < 1) {
        throw ApplicationFailure.nonRetryable(
          `max must be a positive integer (got ${input.max})`,
          FailureTypes.badInput,
        );
      }
      const context = Context.current();
      const started = Date.now();
      // Beat while the origin thinks, not only per body chunk: a list slower than the heartbeat
      // timeout would otherwise be timed out on a live worker and loaded twice.
      const beat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
      let body: Buffer | string;
      try {
        body = await loaders.load({
          spec: input.loader,
          vars: { userId: input.userId },
          signal: context.cancellationSignal,
          heartbeat: () => context.heartbeat(),
        });
      } finally {
        clearInterval(beat);
      }
      const text = typeof body === 'string' ? body : body.toString('utf8');
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw ApplicationFailure.nonRetryable('forms list is not JSON', FailureTypes.badLoaderResult);
      }
      let formIds: string[];
      let listed: number;
      try {
        const entries = parseFormsList(raw);
        listed = entries.length;
        formIds = pickRecentForms(entries, input.max);
      } catch (err) {
        throw ApplicationFailure.nonRetryable((err as Error).message, FailureTypes.badLoaderResult);
      }
      return {
        formIds,
        listed,
        sizeBytes: typeof body === 'string' ? Buffer.byteLength(body) : body.length,
        durationMs: Date.now() - started,
      };
    },
  };
}

export type UserPreloadActivities = ReturnType<typeof createUserPreloadActivities>;
