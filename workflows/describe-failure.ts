// One line for a failure, from the bottom of its cause chain (ActivityFailure or
// ChildWorkflowFailure -> ApplicationFailure), with the failure type when there is one.
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';

export function describeFailure(err: unknown): string {
  let current: unknown = err;
  while ((current instanceof ActivityFailure || current instanceof ChildWorkflowFailure) && current.cause)
    current = current.cause;
  if (current instanceof ApplicationFailure)
    return current.type ? `${current.type}: ${current.message}` : current.message;
  return current instanceof Error ? current.message : String(current);
}
