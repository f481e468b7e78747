// Temporal Cloud's billable actions, counted from workflow histories by the published rules
// (https://docs.temporal.io/cloud/actions, read 2026-12-03): what the bench's cost rows and
// docs/PERFORMANCE.md's cost table are made of. Pure: a list of history events in, counts out.
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** The marker the core SDK records for each local activity. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The rules, each a name the counts are keyed by. */
export const ACTION_RULES = [
  'workflowStarted',
  'signalWithStart',
  'signal',
  'continueAsNew',
  'childWorkflowStarted',
  'timerStarted',
  'activityScheduled',
  'activityRetry',
  'localActivities',
  'localActivityRetry',
  'searchAttributeUpsert',
  'updateAccepted',
  'workflowOptionsUpdated',
  'nexusOperation',
  'workflowReset',
] as const;
export type ActionRule = (typeof ACTION_RULES)[number];

export interface ActionCount {
  total: number;
  /** Actions by rule; a rule that produced none is absent. */
  byRule: Partial<Record<ActionRule, number>>;
}

/** Cap on the local-activity retries one workflow task is billed for ("capped at 100 Actions"). */
const LOCAL_RETRY_CAP = 100;
/** The versioning search attribute patched() maintains; its upserts are exempt. */
const CHANGE_VERSION_ATTRIBUTE = 'TemporalChangeVersion';

/**
 * The billable actions a run's history records, by the published rules:
 *
 * - a workflow start is 1 (client start); a run started by signal-with-start is 1 for the start
 *   and its signal together; a child's start is billed at its parent (2, below) and a
 *   continue-as-new run's start at the run that continued (1, below), so both count 0 here;
 * - every other `WorkflowExecutionSignaled` is 1 (a signal from another workflow is billed in the
 *   history it lands in, so `SignalExternalWorkflowExecutionInitiated` is 0);
 * - `WorkflowExecutionContinuedAsNew` 1, `StartChildWorkflowExecutionInitiated` 2 (the intent and
 *   the start);
 * - `TimerStarted` 1 (a `condition` with a timeout starts one), `ActivityTaskScheduled` 1 and each
 *   retry (the started event's attempt - 1) 1;
 * - every marker one workflow task records (local activities, and the SDK's patch markers, as the
 *   server's own `action` metric counts them: `command_BatchMarkers`) is 1 together, plus each
 *   local-activity attempt after the first (metering metadata of the completed workflow task, at
 *   most 100 a task);
 * - `UpsertWorkflowSearchAttributes` 1 (0 when it sets only `TemporalChangeVersion`), an accepted
 *   update 1, workflow options updated 1, a Nexus operation scheduled or cancel requested 1, a
 *   reset 1.
 *
 * Not in a history, so not counted: queries, activity heartbeats, workflow-task heartbeats of long
 * local activities, rejected updates, schedules' own actions, export.
 */
export function countBillableActions(events: readonly HistoryEvent[]): ActionCount {
  const byRule: Partial<Record<ActionRule, number>> = {};
  const add = (rule: ActionRule, n = 1) => {
    if (n > 0) byRule[rule] = (byRule[rule] ?? 0) + n;
  };
  const markerTasks = new Set<string>();
  let lastTaskCompleted: string | undefined;
  events.forEach((event, i) => {
    const type = eventTypeOf(event);
    switch (type) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const attrs = event.workflowExecutionStartedEventAttributes ?? {};
        if (attrs.parentWorkflowExecution) break;
        if (attrs.initiator === temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW) break;
        add(startedWithSignal(events, i) ? 'signalWithStart' : 'workflowStarted');
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        if (!(i > 0 && startedWithSignal(events, i - 1))) add('signal');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        add('continueAsNew');
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        add('childWorkflowStarted', 2);
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        add('timerStarted');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        add('activityScheduled');
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        add('activityRetry', Math.max(0, (event.activityTaskStartedEventAttributes?.attempt ?? 1) - 1));
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
        lastTaskCompleted = idOf(event.eventId) ?? `at-${i}`;
        const retries =
          event.workflowTaskCompletedEventAttributes?.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0;
        add('localActivityRetry', Math.min(LOCAL_RETRY_CAP, retries));
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        // A patch marker (core_patch) records a decision, not work: only local activities are billed.
        if (event.markerRecordedEventAttributes?.markerName !== LOCAL_ACTIVITY_MARKER) break;
        const task = idOf(event.markerRecordedEventAttributes?.workflowTaskCompletedEventId) ?? lastTaskCompleted;
        const key = task ?? `alone-${i}`;
        if (!markerTasks.has(key)) {
          markerTasks.add(key);
          add('localActivities');
        }
        break;
      }
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields = Object.keys(
          event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
        );
        if (fields.some((name) => name !== CHANGE_VERSION_ATTRIBUTE)) add('searchAttributeUpsert');
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        add('updateAccepted');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
        add('workflowOptionsUpdated');
        break;
      case EventType.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
      case EventType.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:
        add('nexusOperation');
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        if (
          event.workflowTaskFailedEventAttributes?.cause ===
          temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
        )
          add('workflowReset');
        break;
      default:
        break;
    }
  });
  const total = Object.values(byRule).reduce((sum, n) => sum + n, 0);
  return { total, byRule };
}

/** Adds counts: the actions of several histories together. */
export function addActionCounts(counts: readonly ActionCount[]): ActionCount {
  const byRule: Partial<Record<ActionRule, number>> = {};
  for (const count of counts)
    for (const [rule, n] of Object.entries(count.byRule) as [ActionRule, number][])
      byRule[rule] = (byRule[rule] ?? 0) + n;
  return { total: counts.reduce((sum, c) => sum + c.total, 0), byRule };
}

/**
 * A run started by signal-with-start: the server writes its first signal right after the started
 * event, before the first workflow task is scheduled (a plain start schedules that task next).
 */
function startedWithSignal(events: readonly HistoryEvent[], startedIndex: number): boolean {
  const started = events[startedIndex];
  if (!started || eventTypeOf(started) !== EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) return false;
  const next = events[startedIndex + 1];
  return next !== undefined && eventTypeOf(next) === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED;
}

/** The event's type as the proto enum; a history read from JSON may carry its name instead. */
function eventTypeOf(event: HistoryEvent): number {
  const type: unknown = event.eventType;
  if (typeof type === 'number') return type;
  if (typeof type === 'string') {
    const name = type.startsWith('EVENT_TYPE_')
      ? type
      : `EVENT_TYPE_${type.replace(/(?<!^)([A-Z])/g, '_$1').toUpperCase()}`;
    const value = (EventType as unknown as Record<string, number | undefined>)[name];
    if (value !== undefined) return value;
  }
  throw new TypeError(`history event ${idOf(event.eventId) ?? '?'} has no known eventType (got ${String(type)})`);
}

function idOf(id: HistoryEvent['eventId'] | undefined | null): string | undefined {
  if (id === undefined || id === null) return undefined;
  const text = id.toString();
  return text === '0' ? undefined : text;
}
