// Everything a workflow history says, as searchable text: the events as JSON (failure messages,
// identities, names) plus every payload decoded from base64 (inputs, results, signals, updates,
// queries' inputs, memo, search attributes).
import type { Client } from '@temporalio/client';

/** The text of the histories of every workflow on `taskQueue` (all runs, open and closed). */
export async function historiesOnTaskQueue(
  temporal: Client,
  taskQueue: string,
): Promise<{ ids: string[]; text: string }> {
  const ids: string[] = [];
  const parts: string[] = [];
  for await (const execution of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    ids.push(`${execution.workflowId}/${execution.runId}`);
    const history = await temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    parts.push(historyText(history));
  }
  return { ids, text: parts.join('\n') };
}

/** One history (or several) as text: raw JSON plus decoded payloads. */
export function historyText(history: unknown): string {
  const json = JSON.stringify(history);
  const decoded = [...json.matchAll(/"data":"([^"]*)"/g)].map((m) =>
    Buffer.from(m[1] as string, 'base64').toString('utf8'),
  );
  return [json, ...decoded].join('\n');
}
