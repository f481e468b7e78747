// The workflow bundle every worker runs: its options in one place, built once by `npm run build`
// into dist/workflow-bundle.js, so a worker starts without webpack and every worker of a release
// runs byte-identical workflow code. Tests and tools that bundle from source use the same options.
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

export type WorkflowBundleOptions = Pick<BundleOptions, 'workflowsPath' | 'payloadConverterPath'>;

/**
 * The options of every bundle of this project's workflows. No `preloadModules`: sharing the SDK's
 * and our workflow modules across executions saved nothing measurable (docs/PERFORMANCE.md) and
 * would risk state leaking between workflows.
 */
export function workflowBundleOptions(): WorkflowBundleOptions {
  return { workflowsPath: WORKFLOWS_PATH, payloadConverterPath: PAYLOAD_CONVERTER_PATH };
}

/** Bundles the workflows from source with the project's options (webpack: a few seconds). */
export function buildWorkflowBundle(logger?: BundleOptions['logger']): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ ...workflowBundleOptions(), ...(logger ? { logger } : {}) });
}

/** The prebuilt bundle of this build, when there is one. */
export function prebuiltWorkflowBundle(): { codePath: string } | undefined {
  return existsSync(PREBUILT_BUNDLE_PATH) ? { codePath: PREBUILT_BUNDLE_PATH } : undefined;
}
