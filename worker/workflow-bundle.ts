// The workflow bundle every worker runs: its options in one place, built once by `npm run build`
// into dist/workflow-bundle.js, so a worker starts without webpack and every worker of a release
// runs byte-identical workflow code. Tests and tools that bundle from source use the same options.
// A second bundle, dist/workflow-bundle-traced.js, adds the OpenTelemetry workflow interceptors and
// is used only when tracing is on, so the default bundle stays as it is.
import { bundleWorkflowCode, type BundleOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The payload converter workers use, and any bundle must be built with. */
export const PAYLOAD_CONVERTER_PATH = require.resolve('../workflows/payload-converter');

/** The workflows the bundle exports. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Where `npm run build` writes the bundle: `dist/workflow-bundle.js` beside the compiled
 * `dist/worker/`. Absent when running from source.
 */
export const PREBUILT_BUNDLE_PATH = resolve(__dirname, '..', 'workflow-bundle.js');

/** The traced bundle, beside the default one; written by `npm run build` too. */
export const PREBUILT_TRACED_BUNDLE_PATH = resolve(__dirname, '..', 'workflow-bundle-traced.js');

/** The traced bundle's workflow interceptors (the SDK's OpenTelemetry ones and the trace links). */
export const TRACING_INTERCEPTORS_PATH = require.resolve('../workflows/tracing-interceptors');

export type WorkflowBundleOptions = Pick<
  BundleOptions,
  'workflowsPath' | 'payloadConverterPath' | 'workflowInterceptorModules'
>;

/**
 * The options of every bundle of this project's workflows. No `preloadModules`: sharing the SDK's
 * and our workflow modules across executions saved nothing measurable (docs/PERFORMANCE.md) and
 * would risk state leaking between workflows.
 */
export function workflowBundleOptions(traced = false): WorkflowBundleOptions {
  return {
    workflowsPath: WORKFLOWS_PATH,
    payloadConverterPath: PAYLOAD_CONVERTER_PATH,
    ...(traced ? { workflowInterceptorModules: [TRACING_INTERCEPTORS_PATH] } : {}),
  };
}

const quiet = () => undefined;

/** A bundler logger that prints webpack's warnings and errors and nothing else (its progress is noise). */
export const WARNINGS_ONLY_BUNDLE_LOGGER: NonNullable<BundleOptions['logger']> = {
  trace: quiet,
  debug: quiet,
  info: quiet,
  log: quiet,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** Bundles the workflows from source with the project's options (webpack: a few seconds); `traced` adds the tracing interceptors. */
export function buildWorkflowBundle(
  logger?: BundleOptions['logger'],
  traced = false,
): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...workflowBundleOptions(traced), ...(logger ? { logger } : {}) });
}

/** The prebuilt bundle of this build (the traced one with `traced`), when there is one. */
export function prebuiltWorkflowBundle(traced = false): { codePath: string } | undefined {
  const path = traced ? PREBUILT_TRACED_BUNDLE_PATH : PREBUILT_BUNDLE_PATH;
  return existsSync(path) ? { codePath: path } : undefined;
}
