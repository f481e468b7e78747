// warmTaskWorkflow owns one task's schedule: warms on start, then every interval; forced warms by
// signal or update; pause, resume, re-apply and removal; continue-as-new carrying its counters.
// Deterministic orchestration only: the warm itself is the warmKey activity, run as a local
// activity (a marker in the workflow task that decided it) by the worker of the queue the task
// belongs to: critical tasks' workflows run on the critical queue, so their warms use its slots.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  isCancellation,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities/create-activities';
import type { TaskSpec } from '../core/config-schema';
import { isCritical } from '../core/priority';
import {
  applyTaskUpdate,
  forceWarmSignal,
  pauseSignal,
  removeSignal,
  resumeSignal,
  setIntervalSignal,
  statusQuery,
  warmNowUpdate,
  type ApplyTaskResult,
  type ForceWarm,
  type TaskStatus,
  type WarmOutcome,
  type WarmTrigger,
} from './definitions';
import { criticalTaskQueue, mainTaskQueue, taskWorkflowQueue } from '../core/workflow-ids';
import { hasSearchAttributes, taskSearchAttributes } from './search-attributes';
import { describeFailure } from './describe-failure';
import { CarriedStateError, migrateCarriedTaskState } from './carried-state';
import type { CarriedTaskState } from './carried-types';
import { countInput } from './input-metrics';
import { checkAppliedTask, changedFields, parseAppliedTask } from './apply-task';
import { recordBatchResults } from './batch-results';
import { parseForceWarm, reasonPayloadProblem } from './force-warm-payload';
import { taskDetails, taskStatus } from './task-status';
import { warmOnce } from './warm-once';

export interface WarmTaskInput {
  spec: TaskSpec;
  /**
   * Which of the deployment's queues this run was started on. Absent: the main queue (release 0.1
   * started every task there). Read from the input, never from the worker, so a replay anywhere
   * decides alike.
   */
  queue?: TaskQueueKind;
  carried?: CarriedTaskState;
  /**
   * Continue as new after this many history events, or sooner when Temporal suggests it. Default
   * SHORT_HISTORY_EVENTS (10 000 before the short-history patch).
   */
  historyEventsLimit?: number;
}

const DEFAULT_HISTORY_EVENTS_LIMIT = 10_000;
/**
 * Events a task run keeps before it continues as new (about 11 warms at 7-9 events each), so a
 * task evicted from the worker's cache replays a short history at its next warm: a replay took
 * about 70 ms at this length, 600 ms at 1 000 events, against 19 ms for a cached warm
 * (2026-12-03, docs/PERFORMANCE.md "Bounded worker memory").
 */
export const SHORT_HISTORY_EVENTS = 100;
/**
 * Patch: a run continues as new after SHORT_HISTORY_EVENTS events (or its lower
 * `historyEventsLimit`); runs before it kept 10 000 unless told otherwise.
 */
export const SHORT_HISTORY_PATCH = 'short-history';
/**
 * Patch: warms run as local activities on the queue the task belongs to, and a task whose
 * workflow runs on the other queue (critical tasks of release 0.1, or a task whose criticality
 * changed) moves there at its next continue-as-new, which it then asks for at once. Before
 * this (and while on the wrong queue) a warm is an activity task on the right queue.
 */
export const LOCAL_WARM_PATCH = 'local-warm';
/**
 * Patch: a warm forced by a fleet operation (`forceWarm` with a `batch` id) records its result in
 * the `WarmBatches` search attribute. Histories before it never carried a batch id.
 */
export const BATCH_RESULT_PATCH = 'batch-result';
/**
 * Patch: a run parses its start input with the config schema (the parseTaskInput local activity)
 * and fails, naming the field, when it cannot serve it. Runs started before it never parsed.
 */
export const PARSE_START_PATCH = 'parse-start';
/** Patch: a `remove` with a malformed payload is dropped like any malformed signal; before, it removed the task. */
export const STRICT_REMOVE_PATCH = 'strict-remove';
/**
 * Patch: a run whose start already carries the task's search attributes (a continued run's start
 * copies them from the run before; `warmctl apply` starts a task with them) does not set them again;
 * before, every run did, a billable action a run (about 15 warms). Asked by every run that parses
 * its input, before that local activity.
 */
export const CARRIED_ATTRIBUTES_PATCH = 'carried-attributes';

/** A deployment's two queues: its main one and `<main>-critical`. */
export type TaskQueueKind = 'main' | 'critical';

/** Parses the start input where zod is already built: in the worker, as a local activity. */
const { parseTaskInput } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

/** Retries and timeouts of the warm activity, in one place. Loaders time out on their own first. */
function warmActivityOptions(spec: TaskSpec): ActivityOptions {
  const loaderTimeoutSeconds = spec.loader.timeoutSeconds ?? 30;
  return {
    startToCloseTimeout: `${Math.max(120, loaderTimeoutSeconds + 60)}s`,
    // A crashed worker's warm is retried elsewhere within this (plus the retry interval).
    heartbeatTimeout: '20s',
    scheduleToCloseTimeout: '30m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  };
}

export async function warmTaskWorkflow(rawInput: WarmTaskInput): Promise<TaskStatus> {
  // Every run starts by parsing its input in a local activity, and runs are short (about 11
  // warms), so a status query may come before the parsed input is there: it is answered from the
  // input as sent until then. Query handlers issue no commands: replay is unaffected.
  setHandler(statusQuery, () => startingStatus(rawInput));
  const { input, reservedPrefix } = await readTaskInput(rawInput);
  let spec = input.spec;
  const historyEventsLimit = input.historyEventsLimit ?? DEFAULT_HISTORY_EVENTS_LIMIT;
  const state: CarriedTaskState = migrateCarriedTaskState(input.carried) ?? initialTaskState(spec);

  let warming = false;
  let removed = false;
  let scheduleChanged = false;
  // Update tickets: a `warmNow` caller waits until a warm that started after its request is done.
  let requested = 0;
  let served = 0;
  let lastServed: WarmOutcome | null = null;
  // Fleet operations waiting on the next warm. Never carried: a run continues as new only with no warm pending.
  let pendingBatches: string[] = [];

  const status = (): TaskStatus => taskStatus(spec, state, { removed, warming });

  const request = (trigger: WarmTrigger, payload: ForceWarm | undefined) => {
    // A later request never downgrades an update (which someone waits on) to a plain signal.
    const keep = state.pendingForce?.trigger === 'update' ? 'update' : trigger;
    state.pendingForce = { trigger: keep, ...(payload?.reason ? { reason: payload.reason } : {}) };
  };

  setHandler(statusQuery, status);

  setHandler(forceWarmSignal, (payload) => {
    const { force, problem } = parseForceWarm(payload);
    if (problem !== undefined) {
      countInput('forceWarm', 'rejected');
      return void log.warn('forceWarm signal dropped', { problem });
    }
    if (removed) return void log.warn('forceWarm signal dropped', { problem: 'task is being removed' });
    request('force', force);
    if (force.batch !== undefined && !pendingBatches.includes(force.batch)) pendingBatches.push(force.batch);
  });

  setHandler(
    warmNowUpdate,
    async (payload) => {
      const ticket = ++requested;
      request('update', parseForceWarm(payload).force);
      await condition(() => served >= ticket);
      return lastServed as WarmOutcome;
    },
    {
      validator: (payload) => {
        const { problem } = parseForceWarm(payload);
        if (problem !== undefined) throw new Error(problem);
        if (removed) throw new Error(`task ${spec.taskId} is being removed`);
      },
    },
  );

  setHandler(
    applyTaskUpdate,
    (raw): ApplyTaskResult => {
      // The validator accepted it; parsed again here (validators do not run on replay) so the
      // spec used has its defaults applied.
      const next = parseAppliedTask(raw);
      const fields = changedFields(spec, next);
      if (fields.length === 0) return { changed: false, fields };
      const configuredIntervalChanged = next.intervalMinutes !== spec.intervalMinutes;
      const wasAdaptive = spec.adaptive;
      spec = next;
      // A new configured interval (or turning adaptivity off) takes effect at once.
      if (configuredIntervalChanged || (wasAdaptive && !next.adaptive)) setInterval(next.intervalMinutes);
      upsertSearchAttributes(taskSearchAttributes(spec));
      setCurrentDetails(taskDetails(status()));
      return { changed: true, fields };
    },
    {
      validator: (raw) => {
        checkAppliedTask(raw, spec, reservedPrefix);
        if (removed) throw new Error(`task ${spec.taskId} is being removed`);
      },
    },
  );

  setHandler(pauseSignal, () => {
    state.paused = true;
    scheduleChanged = true;
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
    scheduleChanged = true;
  });
  setHandler(removeSignal, (payload) => {
    const problem = reasonPayloadProblem(payload);
    // Release 0.2 removed the task whatever the payload; that branch stays for its histories.
    if (problem !== undefined && patched(STRICT_REMOVE_PATCH)) {
      countInput('remove', 'rejected');
      return void log.warn('remove signal dropped', { problem });
    }
    removed = true;
  });
  setHandler(setIntervalSignal, (payload) => {
    const minutes = (payload as { intervalMinutes?: unknown } | undefined)?.intervalMinutes;
    if (typeof minutes !== 'number' || !(minutes >= 0.01 && minutes <= 7 * 24 * 60)) {
      countInput('setInterval', 'rejected');
      return void log.warn('setInterval signal dropped', {
        problem: 'intervalMinutes must be a number from 0.01 to 10080',
      });
    }
    if (!spec.adaptive) return void log.info('setInterval ignored: the task is not adaptive', { taskId: spec.taskId });
    if (minutes !== state.intervalMinutes) setInterval(minutes);
  });

  function setInterval(minutes: number) {
    state.intervalMinutes = minutes;
    const from = state.lastWarmAt ? Date.parse(state.lastWarmAt) : Date.now();
    state.nextWarmAtMs = from + minutes * 60_000;
    scheduleChanged = true;
  }

  async function warm(trigger: WarmTrigger, reason: string | undefined): Promise<void> {
    const servingUpTo = requested;
    const batches = pendingBatches;
    pendingBatches = [];
    state.pendingForce = null;
    warming = true;
    const outcome = await warmOnce(warmKeyActivity, spec, state, trigger, reason);
    warming = false;
    state.lastResult = outcome;
    lastServed = outcome;
    served = servingUpTo;
    if (batches.length > 0 && patched(BATCH_RESULT_PATCH)) recordBatchResults(batches, outcome.ok);
    setCurrentDetails(taskDetails(status()));
  }

  /**
   * The warm activity as this run calls it: local where the workflow runs on the queue the task
   * belongs to, else an activity task on that queue (release 0.1 histories, and a task about to move).
   */
  function warmKeyActivity(): Activities['warmKey'] {
    const options = warmActivityOptions(spec);
    if (patched(LOCAL_WARM_PATCH) && onItsQueue()) {
      const { heartbeatTimeout: _heartbeat, scheduleToCloseTimeout: _total, ...local } = options;
      return proxyLocalActivities<Activities>(local).warmKey;
    }
    return proxyActivities<Activities>({
      ...options,
      ...(isCritical(spec) ? { taskQueue: criticalTaskQueue(mainTaskQueue(workflowInfo().taskQueue)) } : {}),
    }).warmKey;
  }

  /** Whether this run's queue is the one the task belongs to (critical tasks on the critical queue). */
  function onItsQueue(): boolean {
    return (input.queue ?? 'main') === queueKind(spec);
  }

  const attributes = taskSearchAttributes(spec);
  const attributesCarried =
    patched(CARRIED_ATTRIBUTES_PATCH) && hasSearchAttributes(workflowInfo().typedSearchAttributes, attributes);
  if (!attributesCarried) upsertSearchAttributes(attributes);
  setCurrentDetails(taskDetails(status()));

  /** This run's history limit: patched() answers once, at the run's first turn of the loop, for the run. */
  let runHistoryLimit: number | undefined;
  for (;;) {
    const idle = state.pendingForce === null && served >= requested;
    if (removed && idle) break;
    runHistoryLimit ??= patched(SHORT_HISTORY_PATCH)
      ? Math.min(historyEventsLimit, SHORT_HISTORY_EVENTS)
      : historyEventsLimit;
    const historyFull = workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= runHistoryLimit;
    // A task on the other queue moves at a continue-as-new, which then need not wait for a full history.
    const misplaced = !onItsQueue() && patched(LOCAL_WARM_PATCH);
    if (idle && (historyFull || misplaced)) {
      await condition(allHandlersFinished);
      if (state.pendingForce === null && !removed) {
        const queue = taskWorkflowQueue(mainTaskQueue(workflowInfo().taskQueue), isCritical(spec));
        await makeContinueAsNewFunc<typeof warmTaskWorkflow>({ taskQueue: queue })({
          spec,
          queue: queueKind(spec),
          carried: { ...state, generation: state.generation + 1 },
          historyEventsLimit,
        });
      }
      continue;
    }
    if (state.pendingForce) {
      await warm(state.pendingForce.trigger, state.pendingForce.reason);
      continue;
    }
    if (!state.paused && Date.now() >= state.nextWarmAtMs) {
      await warm('schedule', undefined);
      continue;
    }
    scheduleChanged = false;
    const wake = () => removed || state.pendingForce !== null || scheduleChanged;
    if (state.paused) await condition(wake);
    else await condition(wake, Math.max(1, state.nextWarmAtMs - Date.now()));
  }

  setCurrentDetails(taskDetails(status()));
  return { ...status(), state: 'removed' };
}

/** The queue a task's workflow belongs on: critical tasks on the critical queue. */
export function queueKind(spec: TaskSpec): TaskQueueKind {
  return isCritical(spec) ? 'critical' : 'main';
}

/** A task's state before its first warm. */
function initialTaskState(spec: TaskSpec): CarriedTaskState {
  return {
    warmCount: 0,
    failureCount: 0,
    lastWarmAt: null,
    nextWarmAtMs: Date.now(),
    intervalMinutes: spec.intervalMinutes,
    paused: false,
    lastResult: null,
    lastError: null,
    since: new Date().toISOString(),
    generation: 0,
    pendingForce: { trigger: 'start' },
  };
}

/**
 * The status a run answers before its start input is parsed: from that input as sent (by the
 * run it continues, or by whoever started it). Input that gives none gets a clear error.
 */
function startingStatus(raw: WarmTaskInput): TaskStatus {
  try {
    const spec = raw.spec;
    return taskStatus(spec, migrateCarriedTaskState(raw.carried) ?? initialTaskState(spec), {
      removed: false,
      warming: false,
    });
  } catch {
    throw new Error(`task ${workflowInfo().workflowId} is starting: its input is being checked`);
  }
}

/**
 * The start input, parsed once: a run started by `warmctl apply` and one started straight from
 * Temporal's CLI are held to the same schema. An input the task cannot serve fails the workflow
 * with one line naming the field (never its workflow task, which would retry for ever).
 */
async function readTaskInput(raw: unknown): Promise<{ input: WarmTaskInput; reservedPrefix?: string }> {
  if (!patched(PARSE_START_PATCH)) return { input: raw as WarmTaskInput };
  // Asked before the local activity, not after it: a local activity that outlasts its workflow
  // task resolves in the next one, but on replay in this one, so a patch first asked after it
  // would be looked for in the wrong workflow task (a nondeterminism error on the next worker).
  // patched() keeps its answer for the run, so the warm's own check and the run's search
  // attributes agree.
  patched(LOCAL_WARM_PATCH);
  patched(CARRIED_ATTRIBUTES_PATCH);
  const fields = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  let parsed: Awaited<ReturnType<typeof parseTaskInput>>;
  try {
    parsed = await parseTaskInput(fields.spec);
  } catch (err) {
    if (isCancellation(err)) throw err;
    countInput('start', 'rejected');
    throw ApplicationFailure.nonRetryable(`warmTaskWorkflow input refused: ${describeFailure(err)}`, 'BadInput');
  }
  try {
    migrateCarriedTaskState(fields.carried);
  } catch (err) {
    if (err instanceof CarriedStateError && !err.newerVersion) {
      throw ApplicationFailure.nonRetryable(`warmTaskWorkflow input refused: ${err.message}`, 'BadInput');
    }
    throw err;
  }
  const limit = fields.historyEventsLimit;
  return {
    input: {
      spec: parsed.spec,
      ...(fields.queue === 'main' || fields.queue === 'critical' ? { queue: fields.queue } : {}),
      ...(fields.carried !== undefined && fields.carried !== null
        ? { carried: fields.carried as CarriedTaskState }
        : {}),
      ...(typeof limit === 'number' && Number.isInteger(limit) && limit >= 1 ? { historyEventsLimit: limit } : {}),
    },
    reservedPrefix: parsed.reservedPrefix,
  };
}
