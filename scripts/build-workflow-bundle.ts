// `npm run build` step: bundles the workflows once into dist/workflow-bundle.js, with the options
// every worker runs them with (worker/workflow-bundle.ts), and with the tracing interceptors into
// dist/workflow-bundle-traced.js, which workers run only when tracing is on.
import { writeFileSync } from 'node:fs';
import {
  buildWorkflowBundle,
  PREBUILT_BUNDLE_PATH,
  PREBUILT_TRACED_BUNDLE_PATH,
  WARNINGS_ONLY_BUNDLE_LOGGER,
} from '../worker/workflow-bundle';

async function run(): Promise<void> {
  // One after the other: webpack on two bundles at once only competes for the same cores.
  writeFileSync(PREBUILT_BUNDLE_PATH, (await buildWorkflowBundle(WARNINGS_ONLY_BUNDLE_LOGGER)).code);
  writeFileSync(PREBUILT_TRACED_BUNDLE_PATH, (await buildWorkflowBundle(WARNINGS_ONLY_BUNDLE_LOGGER, true)).code);
}

run().catch((err: unknown) => {
  console.error(`build-workflow-bundle: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
