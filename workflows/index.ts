// Everything the workflow bundler and clients import from the workflow side.
import './versioning';
export * from './definitions';
export * from '../core/workflow-ids';
export * from './search-attributes';
export { warmTaskWorkflow, queueKind, SHORT_HISTORY_EVENTS, type WarmTaskInput, type TaskQueueKind } from './warm-task';
export * from './user-definitions';
export { userSessionWorkflow, type UserSessionInput } from './user-session';
export { preloadUserWorkflow, type PreloadUserInput } from './preload-user';
export { userLoginsWorkflow, type UserLoginsInput } from './user-logins';
export * from './carried-state';
export type {
  CarriedTaskState,
  CarriedUserLoginsState,
  CarriedUserSessionState,
  CarriedUserTuple,
  OptimizerState,
} from './carried-types';
export { optimizerWorkflow, type OptimizerInput } from './optimizer';
export { bulkWarmWorkflow, type BulkWarmInput, type BulkWarmResult } from './bulk-warm';
export { VERSIONING_BEHAVIORS } from './versioning';
