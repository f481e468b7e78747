// `temporal-cache-warmer/worker`: the worker process: `createWorker` with custom named loaders,
// limits and the loader security policy. The only entry point that loads @temporalio/worker and
// its native runtime.
export {
  createWorker,
  defaultMaxCachedWorkflows,
  PAYLOAD_CONVERTER_PATH,
  splitWorkflowCache,
} from './worker/create-worker';
export type { CreateWorkerOptions, WarmingWorker } from './worker/create-worker';
export {
  runtimeOptionsFromEnvironment,
  runWorkerFromEnvironment,
  workerOptionsFromEnvironment,
} from './worker/worker-from-environment';
export type { EnvironmentWorkerOptions } from './worker/worker-from-environment';
export type { CustomLoader, LoaderContext, LoaderRegistry } from './activities/loaders';
export type { WarmingLimits } from './activities/limits';
export type { LoaderSecurity } from './core/loader-security';
