// Parsing of workflow inputs that anyone with access to the namespace may send (a task workflow
// started with `temporal workflow start`), with the same schema as `warmctl apply`. An activity,
// because the schema is costly to build inside every workflow execution and cheap here, where the
// worker builds it once.
import { ApplicationFailure } from '@temporalio/common';
import { formatZodError, taskSchema, type TaskSpec } from '../core/config-schema';
import { cacheKeyProblem } from '../core/cache-key';
import { FailureTypes } from './loaders';

export interface ParsedTaskInput {
  /** The spec with its defaults applied. */
  spec: TaskSpec;
  /** This deployment's reserved prefix: no task key may start with it. */
  reservedPrefix: string;
}

export function createInputActivities(deps: { prefix: string }) {
  return {
    /** Parses a task workflow's spec; a spec it cannot serve fails for good, naming the field. */
    async parseTaskInput(raw: unknown): Promise<ParsedTaskInput> {
      const parsed = taskSchema.safeParse(raw);
      if (!parsed.success) {
        throw ApplicationFailure.nonRetryable(formatZodError(parsed.error, 'spec'), FailureTypes.badInput);
      }
      const problem = cacheKeyProblem(parsed.data.cacheKey, [deps.prefix]);
      if (problem) throw ApplicationFailure.nonRetryable(`spec.cacheKey: ${problem}`, FailureTypes.badInput);
      return { spec: parsed.data, reservedPrefix: deps.prefix };
    },
  };
}
