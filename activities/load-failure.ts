// How a failed load of a user preload is classified (retryable, shed at the deadline) and worded
// in its result: one line, as the workflows word the same failure.
import { ApplicationFailure } from '@temporalio/common';
import { FailureTypes } from './loaders';

/** Whether Temporal would retry this failure: everything except a non-retryable ApplicationFailure. */
export function isRetryableFailure(err: unknown): boolean {
  return !(err instanceof ApplicationFailure && err.nonRetryable);
}

/**
 * One line for a failure, as the workflow's describeFailure words the same failure coming back
 * from an activity (`<type>: <message>`; Temporal types a plain error by its name).
 */
export function describeLoadFailure(err: unknown): string {
  if (err instanceof ApplicationFailure) return err.type ? `${err.type}: ${err.message}` : err.message;
  if (err instanceof Error) return err.name ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/** Whether a load was shed at the preload's deadline (never retried, counted apart). */
export function isShed(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === FailureTypes.loadShed;
}
