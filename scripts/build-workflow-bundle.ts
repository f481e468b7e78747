// `npm run build` step: bundles the workflows once into dist/workflow-bundle.js, with the options
// every worker runs them with (worker/workflow-bundle.ts).
import { writeFileSync } from 'node:fs';
import { buildWorkflowBundle, PREBUILT_BUNDLE_PATH } from '../worker/workflow-bundle';

async function run(): Promise<void> {
  const quiet = () => undefined;
  const { code } = await buildWorkflowBundle({
    trace: quiet,
    debug: quiet,
    info: quiet,
    log: quiet,
    warn: (message) => console.warn(message),
    error: (message) => console.error(message),
  });
  writeFileSync(PREBUILT_BUNDLE_PATH, code);
}

run().catch((err: unknown) => {
  console.error(`build-workflow-bundle: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
