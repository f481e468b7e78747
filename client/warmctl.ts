#!/usr/bin/env node
// Where warmctl lived up to 0.3 (`node dist/client/warmctl.js`), kept so that compose files,
// Kubernetes jobs and scripts written for it still run; it goes in 0.5 (docs/upgrading.md). The
// CLI is cli/warmctl.ts.
// eslint-disable-next-line import-x/no-restricted-paths -- an old entry point forwarding to the CLI, the one import up
import { main } from '../cli/warmctl';

main();
