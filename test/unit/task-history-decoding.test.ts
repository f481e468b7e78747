// The warm stats read from every saved release's task histories (test/replay/<version>) equal
// what the task workflows themselves counted: the decoder must know every history shape a release
// wrote, so an SDK upgrade or a workflow change cannot skew the stats unseen. The expected counts
// never come from the decoder under test: a chain's counters from its manifest (sets from 0.4.0),
// else each run's own counters (the carried state its continue-as-new passed on, the status a
// completed run returned) and, for a run still open at capture, its warm events counted from the
// raw JSON, a count first checked against the runs whose counters are known.
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { decodeTaskRun, type HistoryWarm } from '../../client/task-history-decoding';
import { decideRecords } from '../../client/warm-fates';
import { summarizeByTask } from '../../core/warm-stats';
import { taskIdFromWorkflowId } from '../../workflows';
import type { ReplayFixture, TaskCounters } from '../../scripts/capture-histories';
import { loadReplayManifests, readFixtureHistory } from '../replay/replay-fixtures';

type RawEvent = Record<string, unknown> & { eventId: string; eventType: string };
type RawPayloads = { payloads?: { data?: string }[] } | undefined;

const manifests = loadReplayManifests();
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

function rawJson<T>(payloads: RawPayloads): T | undefined {
  const data = payloads?.payloads?.[0]?.data;
  return data === undefined ? undefined : (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as T);
}

function attributes(event: RawEvent, name: string): Record<string, unknown> {
  return (event[name] ?? {}) as Record<string, unknown>;
}

/** Warm events of one run, counted by event type from the raw JSON (no SDK decoding). */
function countWarmEvents(events: RawEvent[]): TaskCounters {
  const warmActivities = new Set<string>();
  const counts = { warmCount: 0, failureCount: 0 };
  for (const event of events) {
    const type = event.eventType.replace('EVENT_TYPE_', '');
    if (type === 'ACTIVITY_TASK_SCHEDULED') {
      const activityType = attributes(event, 'activityTaskScheduledEventAttributes').activityType as { name: string };
      if (activityType.name === 'warmKey') warmActivities.add(event.eventId);
    } else if (type === 'MARKER_RECORDED') {
      const marker = attributes(event, 'markerRecordedEventAttributes');
      if (marker.markerName !== LOCAL_ACTIVITY_MARKER) continue;
      const data = rawJson<{ activity_type: string }>((marker.details as Record<string, RawPayloads>).data);
      if (data?.activity_type !== 'warmKey') continue;
      counts[marker.failure ? 'failureCount' : 'warmCount']++;
    } else if (/^ACTIVITY_TASK_(COMPLETED|FAILED|TIMED_OUT|CANCELED)$/.test(type)) {
      const name = Object.keys(event).find((key) => key.startsWith('activityTask')) as string;
      if (!warmActivities.has(String(attributes(event, name).scheduledEventId))) continue;
      counts[type === 'ACTIVITY_TASK_COMPLETED' ? 'warmCount' : 'failureCount']++;
    }
  }
  return counts;
}

/** The activity id of a run's last warm (its marker, or its activity task's close), from the raw JSON. */
function lastWarmActivityId(events: RawEvent[]): string | undefined {
  const scheduled = new Map<string, string>();
  let last: string | undefined;
  for (const event of events) {
    const type = event.eventType.replace('EVENT_TYPE_', '');
    if (type === 'ACTIVITY_TASK_SCHEDULED') {
      const scheduledAttributes = attributes(event, 'activityTaskScheduledEventAttributes');
      if ((scheduledAttributes.activityType as { name: string }).name === 'warmKey')
        scheduled.set(event.eventId, scheduledAttributes.activityId as string);
    } else if (type === 'MARKER_RECORDED') {
      const marker = attributes(event, 'markerRecordedEventAttributes');
      if (marker.markerName !== LOCAL_ACTIVITY_MARKER) continue;
      const data = rawJson<{ activity_type: string; activity_id: string }>(
        (marker.details as Record<string, RawPayloads>).data,
      );
      if (data?.activity_type === 'warmKey') last = data.activity_id;
    } else if (/^ACTIVITY_TASK_(COMPLETED|FAILED|TIMED_OUT|CANCELED)$/.test(type)) {
      const name = Object.keys(event).find((key) => key.startsWith('activityTask')) as string;
      last = scheduled.get(String(attributes(event, name).scheduledEventId)) ?? last;
    }
  }
  return last;
}

/** The run's own counters at its start and, if it closed with them, at its end. */
function runCounters(events: RawEvent[]): { start: TaskCounters; end?: TaskCounters } {
  const first = events[0] as RawEvent;
  const input = rawJson<{ carried?: TaskCounters }>(
    attributes(first, 'workflowExecutionStartedEventAttributes').input as RawPayloads,
  );
  const start = { warmCount: input?.carried?.warmCount ?? 0, failureCount: input?.carried?.failureCount ?? 0 };
  const last = events[events.length - 1] as RawEvent;
  const continued = attributes(last, 'workflowExecutionContinuedAsNewEventAttributes').input as RawPayloads;
  if (continued) return { start, end: rawJson<{ carried: TaskCounters }>(continued)?.carried };
  const completed = attributes(last, 'workflowExecutionCompletedEventAttributes').result as RawPayloads;
  return completed ? { start, end: rawJson<TaskCounters>(completed) } : { start };
}

function minus(a: TaskCounters, b: TaskCounters): TaskCounters {
  return { warmCount: a.warmCount - b.warmCount, failureCount: a.failureCount - b.failureCount };
}

describe.each(manifests.map((manifest) => [manifest.version, manifest] as const))(
  'saved set %s',
  (version, manifest) => {
    const taskFixtures = manifest.fixtures.filter((fixture) => fixture.workflowType === 'warmTaskWorkflow');
    const raw = new Map(
      taskFixtures.map((fixture) => [fixture, readFixtureHistory(version, fixture.file).events as RawEvent[]]),
    );

    test('counting warm events by type agrees with every closed run’s own counters', () => {
      const closed = taskFixtures.filter((fixture) => runCounters(raw.get(fixture) as RawEvent[]).end);
      expect(closed.length).toBeGreaterThan(0);
      for (const fixture of closed) {
        const events = raw.get(fixture) as RawEvent[];
        const { start, end } = runCounters(events);
        expect({ file: fixture.file, ...countWarmEvents(events) }).toEqual({
          file: fixture.file,
          ...minus(end as TaskCounters, start),
        });
      }
    });

    test('the stats read from its task histories equal what each task counted', async () => {
      const expected = new Map<string, TaskCounters>();
      const chains = new Map<string, ReplayFixture[]>();
      for (const fixture of taskFixtures)
        chains.set(fixture.workflowId, [...(chains.get(fixture.workflowId) ?? []), fixture]);
      for (const [workflowId, runs] of chains) {
        const taskId = taskIdFromWorkflowId(workflowId) as string;
        const recorded = runs.find((run) => run.taskCounters)?.taskCounters;
        const total = recorded ?? { warmCount: 0, failureCount: 0 };
        if (!recorded) {
          for (const run of runs) {
            const events = raw.get(run) as RawEvent[];
            const { start, end } = runCounters(events);
            const own = end ? minus(end, start) : countWarmEvents(events);
            total.warmCount += own.warmCount;
            total.failureCount += own.failureCount;
          }
        }
        expected.set(taskId, total);
      }

      const warms: HistoryWarm[] = taskFixtures.flatMap((fixture) => {
        // Through the wire encoding, so the events are shaped as the client's fetchHistory gives them.
        const { History } = temporal.api.history.v1;
        const history = History.decode(
          History.encode(historyFromJSON(readFixtureHistory(version, fixture.file))).finish(),
        );
        const taskId = taskIdFromWorkflowId(fixture.workflowId) as string;
        return decodeTaskRun(taskId, history.events ?? [], defaultPayloadConverter).warms;
      });
      // No key has metadata: every warm's fate is decided from history alone.
      const records = await decideRecords(warms, { getMeta: () => Promise.resolve(null) }, undefined, Date.now());
      const stats = summarizeByTask(records);

      const byTask = Object.fromEntries(
        Object.entries(stats.byTask).map(([taskId, c]) => [taskId, { warmCount: c.succeeded, failureCount: c.failed }]),
      );
      const want = Object.fromEntries([...expected].filter(([, c]) => c.warmCount + c.failureCount > 0));
      expect(byTask).toEqual(want);
      const sum = [...expected.values()].reduce(
        (a, c) => ({ ok: a.ok + c.warmCount, failed: a.failed + c.failureCount }),
        {
          ok: 0,
          failed: 0,
        },
      );
      expect({ totalWarmings: stats.totalWarmings, succeeded: stats.succeeded, failed: stats.failed }).toEqual({
        totalWarmings: sum.ok + sum.failed,
        succeeded: sum.ok,
        failed: sum.failed,
      });
    });

    test("each run's last warm is named by the activity id its warm mark would hold", () => {
      let named = 0;
      for (const fixture of taskFixtures) {
        const { History } = temporal.api.history.v1;
        const history = History.decode(
          History.encode(historyFromJSON(readFixtureHistory(version, fixture.file))).finish(),
        );
        const decoded = decodeTaskRun('t', history.events ?? [], defaultPayloadConverter);
        const want = lastWarmActivityId(raw.get(fixture) as RawEvent[]);
        expect({ file: fixture.file, id: decoded.lastWarmActivityId }).toEqual({ file: fixture.file, id: want });
        if (want !== undefined) named++;
      }
      expect(named).toBeGreaterThan(0);
    });
  },
);

test('every saved set is checked', () => {
  expect(manifests.map((manifest) => manifest.version)).toEqual(expect.arrayContaining(['0.1.0', '0.2.0', '0.3.0']));
});
