// Everything the workflow bundler and clients import from the workflow side.
import './versioning';
export * from './definitions';
export * from '../core/workflow-ids';
export * from './search-attributes';
export {
  warmTaskWorkflow,
  queueKind,
  type WarmTaskInput,
  type CarriedTaskState,
  type TaskQueueKind,
} from './warm-task';
export * from './user-definitions';
export { userSessionWorkflow, type UserSessionInput, type CarriedUserSessionState } from './user-session';
export { preloadUserWorkflow, type PreloadUserInput } from './preload-user';
export { userLoginsWorkflow, type UserLoginsInput, type CarriedUserLoginsState } from './user-logins';
export * from './carried-state';
export { optimizerWorkflow, type OptimizerInput, type OptimizerState } from './optimizer';
export { bulkWarmWorkflow, type BulkWarmInput, type BulkWarmResult } from './bulk-warm';
export { VERSIONING_BEHAVIORS } from './versioning';
