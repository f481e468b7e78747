// Every visibility query is built in core/visibility-query.ts: the type names it selects by are the
// workflows' own, values are quoted, and each deployment listing is scoped to its own queues.
import * as query from '../../core/visibility-query';
import { preloadUserWorkflow, userLoginsWorkflow, warmTaskWorkflow } from '../../workflows';

test('the workflow type names the queries select by are the workflow functions’ names', () => {
  expect(query.WORKFLOW_TYPES).toEqual({
    task: warmTaskWorkflow.name,
    loginShard: userLoginsWorkflow.name,
    preload: preloadUserWorkflow.name,
  });
});

test('values are quoted so no input can end the string or add a clause', () => {
  expect(query.quote("it's")).toBe("'it\\'s'");
  expect(query.quote('a\\')).toBe("'a\\\\'");
  expect(query.tagsClause(["x' OR WarmCritical = true OR WarmTags = 'y"])).toBe(
    "WarmTags = 'x\\' OR WarmCritical = true OR WarmTags = \\'y'",
  );
  expect(() => query.tagsClause([])).toThrow('at least one tag');
});

test("every deployment listing names the deployment's queues", () => {
  const scoped = "(TaskQueue = 'q' OR TaskQueue = 'q-critical')";
  expect(query.runningTasksQuery('q')).toBe(
    `WorkflowType = 'warmTaskWorkflow' AND ExecutionStatus = 'Running' AND ${scoped}`,
  );
  expect(query.runningTasksQuery('q', query.tagsClause(['a', 'b']))).toBe(
    `${query.runningTasksQuery('q')} AND (WarmTags = 'a' OR WarmTags = 'b')`,
  );
  expect(query.taskRunsQuery('q', { workflowId: 'warm-task:t', tag: 'a', sinceMs: 0 })).toBe(
    `WorkflowType = 'warmTaskWorkflow' AND ${scoped} AND WorkflowId = 'warm-task:t' AND WarmTags = 'a' AND (ExecutionStatus = 'Running' OR CloseTime >= '1970-01-01T00:00:00.000Z')`,
  );
  expect(query.changedTaskRunsQuery('q', 0)).toBe(
    `WorkflowType = 'warmTaskWorkflow' AND ${scoped} AND (StartTime >= '1970-01-01T00:00:00.000Z' OR (ExecutionStatus != 'Running' AND CloseTime >= '1970-01-01T00:00:00.000Z'))`,
  );
  expect(query.runningOnDeploymentQuery('q')).toBe(`ExecutionStatus = 'Running' AND ${scoped}`);
  expect(query.runningLoginShardsQuery('q')).toContain("TaskQueue = 'q'");
  expect(query.closedPreloadsQuery('q', 0)).toBe(
    "WorkflowType = 'preloadUserWorkflow' AND TaskQueue = 'q' AND ExecutionStatus != 'Running' AND CloseTime >= '1970-01-01T00:00:00.000Z'",
  );
  expect(query.and(query.runningTasksQuery('q'), query.batchOutcomeClause('b1', 'ok'))).toContain(
    "WarmBatches = 'b1:ok'",
  );
});
