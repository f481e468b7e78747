// The billable-action counter (bench/billable-actions.ts): one hand-made history per published
// rule, then a saved release's real task history, whose shape (a timer and one workflow task of
// local activities per scheduled warm) is the minimum the rows compare against.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import Long from 'long';
import { addActionCounts, countBillableActions } from '../../bench/billable-actions';
import { loadReplayManifests, readFixtureHistory } from '../replay/replay-fixtures';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const T = temporal.api.enums.v1.EventType;

/** A history from (type, attributes) pairs, numbered from 1. */
function history(...events: [number, Omit<HistoryEvent, 'eventId' | 'eventType'>?][]): HistoryEvent[] {
  return events.map(([eventType, attrs], i) => ({ eventId: Long.fromNumber(i + 1), eventType, ...(attrs ?? {}) }));
}

/** The first workflow task of a run: scheduled, started, completed (events 2-4 after a start). */
const firstTask: [number][] = [
  [T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED],
  [T.EVENT_TYPE_WORKFLOW_TASK_STARTED],
  [T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED],
];
const started: [number, HistoryEvent] = [T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {}];

describe('countBillableActions', () => {
  test('a client start is one action; a task that only completes the workflow adds none', () => {
    const count = countBillableActions(history(started, ...firstTask, [T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]));
    expect(count).toEqual({ total: 1, byRule: { workflowStarted: 1 } });
  });

  test('signal-with-start that starts the run is one action for the start and its signal', () => {
    const count = countBillableActions(
      history(started, [T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED], ...firstTask, [
        T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      ]),
    );
    // The second signal (a later login to the running shard) is a signal of its own.
    expect(count).toEqual({ total: 2, byRule: { signalWithStart: 1, signal: 1 } });
  });

  test('a signal from another workflow is billed where it lands, not where it was sent', () => {
    const sender = history(started, ...firstTask, [T.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED]);
    expect(countBillableActions(sender).total).toBe(1);
  });

  test('a child workflow is two actions at its parent and none at its own start', () => {
    const parent = history(started, ...firstTask, [T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED]);
    const child = history([
      T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      {
        workflowExecutionStartedEventAttributes: {
          parentWorkflowExecution: { workflowId: 'parent', runId: 'r' },
        },
      },
    ]);
    expect(countBillableActions(parent).byRule.childWorkflowStarted).toBe(2);
    expect(countBillableActions(child).total).toBe(0);
  });

  test('continue-as-new is one action, billed at the run that continued', () => {
    const old = history(started, ...firstTask, [T.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW]);
    const next = history([
      T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      {
        workflowExecutionStartedEventAttributes: {
          continuedExecutionRunId: 'old',
          initiator: temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
        },
      },
    ]);
    expect(countBillableActions(old).byRule.continueAsNew).toBe(1);
    expect(countBillableActions(next).total).toBe(0);
  });

  test('each timer started is one action', () => {
    const count = countBillableActions(
      history(
        started,
        ...firstTask,
        [T.EVENT_TYPE_TIMER_STARTED],
        [T.EVENT_TYPE_TIMER_FIRED],
        [T.EVENT_TYPE_TIMER_STARTED],
      ),
    );
    expect(count.byRule.timerStarted).toBe(2);
  });

  test('an activity is one action when scheduled and one per retry', () => {
    const count = countBillableActions(
      history(
        started,
        ...firstTask,
        [T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED],
        [T.EVENT_TYPE_ACTIVITY_TASK_STARTED, { activityTaskStartedEventAttributes: { attempt: 3 } }],
        [T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED],
      ),
    );
    expect(count.byRule).toEqual({ workflowStarted: 1, activityScheduled: 1, activityRetry: 2 });
  });

  test('all markers of one workflow task are one action, plus its local activities retried', () => {
    const marker = (task: number): [number, HistoryEvent] => [
      T.EVENT_TYPE_MARKER_RECORDED,
      {
        markerRecordedEventAttributes: {
          markerName: 'core_local_activity',
          workflowTaskCompletedEventId: Long.fromNumber(task),
        },
      },
    ];
    const count = countBillableActions(
      history(
        started,
        ...firstTask, // completed = event 4
        marker(4),
        marker(4),
        marker(4),
        [T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED],
        [T.EVENT_TYPE_WORKFLOW_TASK_STARTED],
        [
          T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, // event 10
          { workflowTaskCompletedEventAttributes: { meteringMetadata: { nonfirstLocalActivityExecutionAttempts: 2 } } },
        ],
        marker(10),
      ),
    );
    expect(count.byRule).toEqual({ workflowStarted: 1, localActivities: 2, localActivityRetry: 2 });
  });

  test('a marker without its task id is grouped with the workflow task completed before it', () => {
    const bare: [number, HistoryEvent] = [
      T.EVENT_TYPE_MARKER_RECORDED,
      { markerRecordedEventAttributes: { markerName: 'core_local_activity' } },
    ];
    const count = countBillableActions(history(started, ...firstTask, bare, bare, ...firstTask, bare));
    expect(count.byRule.localActivities).toBe(2);
  });

  test('a patch marker is no action: a workflow task with only patches runs no local activity', () => {
    const patch: [number, HistoryEvent] = [
      T.EVENT_TYPE_MARKER_RECORDED,
      { markerRecordedEventAttributes: { markerName: 'core_patch', workflowTaskCompletedEventId: Long.fromNumber(4) } },
    ];
    const count = countBillableActions(history(started, ...firstTask, patch, patch));
    expect(count.byRule).toEqual({ workflowStarted: 1 });
  });

  test('a search attribute upsert is one action, unless it sets only TemporalChangeVersion', () => {
    const upsert = (...names: string[]): [number, HistoryEvent] => [
      T.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
      {
        upsertWorkflowSearchAttributesEventAttributes: {
          searchAttributes: {
            indexedFields: Object.fromEntries(names.map((name) => [name, { data: new Uint8Array() }])),
          },
        },
      },
    ];
    const count = countBillableActions(
      history(started, ...firstTask, upsert('CwTaskId', 'CwTags'), upsert('TemporalChangeVersion'), upsert('CwPaused')),
    );
    expect(count.byRule.searchAttributeUpsert).toBe(2);
  });

  test('an accepted update, an options update, a Nexus operation and a reset are one action each', () => {
    const count = countBillableActions(
      history(
        started,
        ...firstTask,
        [T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED],
        [T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED],
        [T.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED],
        [T.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED],
        [T.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED],
        [
          T.EVENT_TYPE_WORKFLOW_TASK_FAILED,
          {
            workflowTaskFailedEventAttributes: {
              cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
            },
          },
        ],
        [
          T.EVENT_TYPE_WORKFLOW_TASK_FAILED,
          {
            workflowTaskFailedEventAttributes: {
              cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR,
            },
          },
        ],
      ),
    );
    expect(count.byRule).toEqual({
      workflowStarted: 1,
      updateAccepted: 1,
      workflowOptionsUpdated: 1,
      nexusOperation: 2,
      workflowReset: 1,
    });
  });

  test('event types written as names (JSON histories) count like the enum', () => {
    const named = [
      { eventId: Long.fromNumber(1), eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' },
      { eventId: Long.fromNumber(2), eventType: 'TimerStarted' },
    ] as unknown as HistoryEvent[];
    expect(countBillableActions(named).byRule).toEqual({ workflowStarted: 1, timerStarted: 1 });
    const unknown = [{ eventId: Long.fromNumber(7), eventType: 'NoSuchEvent' }] as unknown as HistoryEvent[];
    expect(() => countBillableActions(unknown)).toThrow('history event 7 has no known eventType (got NoSuchEvent)');
  });

  test('counts of several histories add up by rule', () => {
    const a = countBillableActions(history(started, ...firstTask, [T.EVENT_TYPE_TIMER_STARTED]));
    const b = countBillableActions(history(started, [T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]));
    expect(addActionCounts([a, b])).toEqual({
      total: 3,
      byRule: { workflowStarted: 1, timerStarted: 1, signalWithStart: 1 },
    });
  });

  test("a saved release's scheduled warms cost two actions each: a timer and one task of local activities", () => {
    const manifest = loadReplayManifests().find((m) => m.version === '0.3.0');
    const fixture = manifest?.fixtures.find((f) => f.file === 'warmTaskWorkflow/warm-task_continued.run1.json');
    if (!manifest || !fixture) throw new Error('the 0.3.0 warm-task_continued.run1 fixture is missing');
    const events = historyFromJSON(readFixtureHistory(manifest.version, fixture.file)).events ?? [];
    // Warm by warm: from one TimerFired to the next, the run records one marker task and one timer.
    const fired = events.flatMap((e, i) => (e.eventType === T.EVENT_TYPE_TIMER_FIRED ? [i] : []));
    expect(fired.length).toBeGreaterThan(2);
    for (let k = 0; k + 1 < fired.length; k++) {
      const slice = events.slice(fired[k], fired[k + 1]);
      expect(countBillableActions(slice)).toEqual({ total: 2, byRule: { localActivities: 1, timerStarted: 1 } });
    }
    // The run continues as new once: one action, and it was started by the run before (none).
    const whole = countBillableActions(events);
    expect(whole.byRule.continueAsNew).toBe(1);
    expect(whole.byRule.workflowStarted).toBeUndefined();
  });
});
