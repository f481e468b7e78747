// How each workflow type moves between Worker Deployment Versions when the worker runs versioned
// (WARMING_DEPLOYMENT + WARMING_BUILD_ID; see docs/upgrading.md). Short-lived workflows are
// PINNED: they finish on the code they started on, so their changes need no patch. Long-running
// ones AUTO_UPGRADE: their next workflow task runs on the deployment's current version, so every
// change to their code goes behind patched() and is held by the replay tests. Without versioning
// these annotations are ignored.
import { setWorkflowOptions } from '@temporalio/workflow';
import { bulkWarmWorkflow } from './bulk-warm';
import { optimizerWorkflow } from './optimizer';
import { preloadUserWorkflow } from './preload-user';
import { userLoginsWorkflow } from './user-logins';
import { userSessionWorkflow } from './user-session';
import { warmTaskWorkflow } from './warm-task';

/** Each workflow type's versioning behaviour, for docs and tests. */
export const VERSIONING_BEHAVIORS = {
  preloadUserWorkflow: 'PINNED',
  bulkWarmWorkflow: 'PINNED',
  userSessionWorkflow: 'PINNED',
  warmTaskWorkflow: 'AUTO_UPGRADE',
  optimizerWorkflow: 'AUTO_UPGRADE',
  userLoginsWorkflow: 'AUTO_UPGRADE',
} as const;

setWorkflowOptions({ versioningBehavior: VERSIONING_BEHAVIORS.preloadUserWorkflow }, preloadUserWorkflow);
setWorkflowOptions({ versioningBehavior: VERSIONING_BEHAVIORS.bulkWarmWorkflow }, bulkWarmWorkflow);
setWorkflowOptions({ versioningBehavior: VERSIONING_BEHAVIORS.userSessionWorkflow }, userSessionWorkflow);
setWorkflowOptions({ versioningBehavior: VERSIONING_BEHAVIORS.warmTaskWorkflow }, warmTaskWorkflow);
setWorkflowOptions({ versioningBehavior: VERSIONING_BEHAVIORS.optimizerWorkflow }, optimizerWorkflow);
setWorkflowOptions({ versioningBehavior: VERSIONING_BEHAVIORS.userLoginsWorkflow }, userLoginsWorkflow);
