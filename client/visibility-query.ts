// Pieces of Temporal visibility queries the clients build: quoting, and a deployment's task queues.
import { criticalTaskQueue } from '../core/workflow-ids';

/** Quotes a value for a Temporal visibility query. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A clause matching a deployment's task workflows: on its main or its critical queue. */
export function taskQueuesClause(taskQueue: string): string {
  return `(TaskQueue = ${quote(taskQueue)} OR TaskQueue = ${quote(criticalTaskQueue(taskQueue))})`;
}
