// Extra namespaces on the test dev server, for tests of namespace options: registered once, ready
// when they answer.
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { testServers, waitFor } from './test-env';

/** Registers `namespace` (1-day retention) and resolves with its name once it serves calls. */
export async function registerNamespace(namespace: string): Promise<string> {
  const connection = await Connection.connect({ address: testServers().temporalAddress });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await waitFor(
      `namespace ${namespace} to serve`,
      async () => {
        await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
        return true;
      },
      { timeoutMs: 30_000 },
    );
    return namespace;
  } finally {
    await connection.close();
  }
}
