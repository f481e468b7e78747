// `npm run worker`: a worker for the environment (see config/environment.ts and
// worker/worker-from-environment.ts) that runs until SIGINT/SIGTERM, drains in-flight warms and exits 0.
import { redact } from '../core/redact';
import { runWorkerFromEnvironment } from './worker-from-environment';

async function run(): Promise<void> {
  await runWorkerFromEnvironment();
}

run().catch((err: unknown) => {
  console.error(`worker: ${redact(err instanceof Error ? err.message : String(err))}`);
  process.exit(1);
});
