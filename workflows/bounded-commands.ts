// The commands a workflow builds from outside input, kept within Temporal's limits
// (core/temporal-limits.ts). A form that changes what an older release sent goes behind a patch,
// and only on the branch where it differs, so histories of every release replay as they ran.
import { patched } from '@temporalio/workflow';
import { legacyPreloadUserWorkflowId, preloadUserWorkflowId } from './user-definitions';

/**
 * Patch: ids, summaries and search attribute values built from outside input are bounded. Called
 * only where the bounded form differs from release 0.2's: such a command was refused by a server
 * with the 255-byte id limit, but ran on one with a larger limit, and must replay as it ran.
 */
export const BOUNDED_INPUT_PATCH = 'bounded-input';

/** The preload child's id for `userId`: bounded, except in histories that started an unbounded one. */
export function preloadChildId(userId: string, startedAtMs: number): string {
  const bounded = preloadUserWorkflowId(userId, startedAtMs);
  const legacy = legacyPreloadUserWorkflowId(userId, startedAtMs);
  return bounded === legacy || patched(BOUNDED_INPUT_PATCH) ? bounded : legacy;
}
