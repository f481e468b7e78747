// Builds the workflow bundle ahead of time (the Docker image runs it at build), so a worker starts
// without webpack: `node dist/scripts/bundle-workflows.js OUT.js`, then WARMING_WORKFLOW_BUNDLE=OUT.js.
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFileSync } from 'node:fs';
import { PAYLOAD_CONVERTER_PATH } from '../worker/create-worker';

async function run(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node dist/scripts/bundle-workflows.js OUT.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    payloadConverterPath: PAYLOAD_CONVERTER_PATH,
    // webpack's module listing is noise in a build log; warnings and errors still show.
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (message) => console.warn(message),
      error: (message) => console.error(message),
    },
  });
  writeFileSync(out, code);
  console.log(`wrote the workflow bundle to ${out} (${Math.round(code.length / 1024)} KiB)`);
}

run().catch((err: unknown) => {
  console.error(`bundle-workflows: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
