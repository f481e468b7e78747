// How each workflow type moves between Worker Deployment Versions when the worker runs versioned
// (WARMING_DEPLOYMENT + WARMING_BUILD_ID; see docs/upgrading.md). Short-lived workflows are
// PINNED: they finish on the code they started on, so their changes need no patch. Long-running
// ones AUTO_UPGRADE: their next workflow task runs on the deployment's current version, so every
// change to their code goes behind patched() and is held by the replay tests. An unversioned
// worker declares none.
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
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

/**
 * The behaviour, declared only on a versioned worker: an unversioned worker's workflow task that
 * names a behaviour is rejected by Temporal ("versioning behavior cannot be specified without
 * deployment options"). The worker's version is known in the workflow from its first task on.
 */
function behaviour(versioningBehavior: VersioningBehavior) {
  return () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {});
}

setWorkflowOptions(behaviour(VERSIONING_BEHAVIORS.preloadUserWorkflow), preloadUserWorkflow);
setWorkflowOptions(behaviour(VERSIONING_BEHAVIORS.bulkWarmWorkflow), bulkWarmWorkflow);
setWorkflowOptions(behaviour(VERSIONING_BEHAVIORS.userSessionWorkflow), userSessionWorkflow);
setWorkflowOptions(behaviour(VERSIONING_BEHAVIORS.warmTaskWorkflow), warmTaskWorkflow);
setWorkflowOptions(behaviour(VERSIONING_BEHAVIORS.optimizerWorkflow), optimizerWorkflow);
setWorkflowOptions(behaviour(VERSIONING_BEHAVIORS.userLoginsWorkflow), userLoginsWorkflow);
