// optimizerWorkflow (id `warm-optimizer`, or `<instance>/warm-optimizer`): every `everyMinutes` it
// re-plans adaptive tasks' intervals from access frequency (signalling only tasks whose interval
// changes, by their ids, which carry the instance given in its input), warms hot keys
// that are missing or about to expire (task keys through their task, pattern keys in batches),
// and runs a critical pass. Can be paused, resumed, inspected, and asked for a cycle now.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { OptimizerActivities } from '../activities/optimizer-activities';
import {
  configAppliedSignal,
  forceWarmSignal,
  optimizerStatusQuery,
  pauseSignal,
  resumeSignal,
  runCycleUpdate,
  setIntervalSignal,
  type CycleReport,
  type OptimizerStatus,
} from './definitions';
import { instanceProblem, taskWorkflowId } from '../core/workflow-ids';
import { warmInBatches } from './warm-in-batches';
import { CarriedStateError, migrateOptimizerState } from './carried-state';
import type { OptimizerState } from './carried-types';
import { describeFailure } from './describe-failure';
import { boundedText } from '../core/temporal-limits';

export interface OptimizerInput {
  carried?: OptimizerState;
  /** Continue as new after this many history events, or sooner when Temporal suggests it. Default 10 000. */
  historyEventsLimit?: number;
  /** The instance name the deployment's task workflow ids carry (`<instance>/warm-task:<taskId>`). Default none. */
  instance?: string;
}

const { readOptimizerSettings, planIntervals, recordPlannedIntervals, findWarmCandidates, patternTemplate } =
  proxyActivities<OptimizerActivities>({
    startToCloseTimeout: '2m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });

/**
 * Patch: a cycle, or a re-read of the settings, that fails (its activities out of retries: Redis
 * down, a config it cannot read) is recorded in the status and the schedule goes on; before, it
 * failed the optimiser.
 */
export const CYCLE_FAILURE_PATCH = 'cycle-failure';
const MAX_ERROR_BYTES = 2_000;

/**
 * Patch: an optimiser started with an instance signals `<instance>/warm-task:<taskId>`. Asked only
 * when the input has one, which no history before it had, so those replay as they ran.
 */
export const INSTANCE_IDS_PATCH = 'instance-ids';

export async function optimizerWorkflow(rawInput: OptimizerInput = {}): Promise<void> {
  const input = readOptimizerInput(rawInput);
  const state: OptimizerState = migrateOptimizerState(input.carried) ?? {
    paused: false,
    cycles: 0,
    everyMinutes: 15,
    nextCycleAtMs: null,
    lastCycle: null,
    since: new Date().toISOString(),
    generation: 0,
  };
  const historyEventsLimit = input.historyEventsLimit ?? 10_000;
  const instance = input.instance;
  const taskId = (id: string) =>
    instance !== undefined && patched(INSTANCE_IDS_PATCH) ? taskWorkflowId(id, instance) : taskWorkflowId(id);
  let requested = 0;
  let lastError: string | null = null;
  let served = 0;
  let settingsStale = state.nextCycleAtMs === null;
  let wake = false;

  setHandler(optimizerStatusQuery, (): OptimizerStatus => ({
    paused: state.paused,
    cycles: state.cycles,
    everyMinutes: state.everyMinutes,
    nextCycleAt: state.paused || state.nextCycleAtMs === null ? null : new Date(state.nextCycleAtMs).toISOString(),
    lastCycle: state.lastCycle,
    lastError,
    since: state.since,
    generation: state.generation,
  }));
  setHandler(pauseSignal, () => void ((state.paused = true), (wake = true)));
  setHandler(resumeSignal, () => void ((state.paused = false), (wake = true)));
  setHandler(configAppliedSignal, () => void ((settingsStale = true), (wake = true)));
  setHandler(runCycleUpdate, async () => {
    const ticket = ++requested;
    wake = true;
    await condition(() => served >= ticket);
    if (lastError !== null)
      throw ApplicationFailure.nonRetryable(`optimiser cycle failed: ${lastError}`, 'CycleFailed');
    return state.lastCycle as CycleReport;
  });

  async function cycle(trigger: CycleReport['trigger']): Promise<void> {
    const servingUpTo = requested;
    const startedMs = Date.now();
    const settings = await readOptimizerSettings();
    state.everyMinutes = settings.everyMinutes;

    const plan = await planIntervals();
    const skippedTasks: string[] = [];
    const applied: CycleReport['changes'] = [];
    await Promise.all(
      plan.changes.map(async (change) => {
        try {
          await getExternalWorkflowHandle(taskId(change.taskId)).signal(setIntervalSignal, {
            intervalMinutes: change.toMinutes,
            reason: `optimizer: ${change.accessesPerMinute} accesses/min`,
          });
          applied.push(change);
        } catch {
          skippedTasks.push(change.taskId);
        }
      }),
    );
    await recordPlannedIntervals(applied);

    const candidates = await findWarmCandidates();
    const taskWarms: CycleReport['taskWarms'] = [];
    await Promise.all(
      candidates.tasks.map(async (candidate) => {
        try {
          // Through the task's workflow, so the warm counts toward that task.
          await getExternalWorkflowHandle(taskId(candidate.taskId)).signal(forceWarmSignal, {
            reason: `optimizer: ${candidate.reason}`,
          });
          taskWarms.push({ taskId: candidate.taskId, reason: candidate.reason });
        } catch {
          skippedTasks.push(candidate.taskId);
        }
      }),
    );

    const patternKeys = { warmed: 0, superseded: 0, failed: 0, batches: 0 };
    for (const group of candidates.patterns) {
      const totals = await warmInBatches(await patternTemplate(group.patternIndex), group.vars);
      patternKeys.warmed += totals.warmed;
      patternKeys.superseded += totals.superseded;
      patternKeys.failed += totals.failed;
      patternKeys.batches += totals.batches;
    }

    const finishedMs = Date.now();
    state.cycles++;
    state.lastCycle = boundCycleReport({
      cycle: state.cycles,
      trigger,
      startedAt: new Date(startedMs).toISOString(),
      finishedAt: new Date(finishedMs).toISOString(),
      durationMs: finishedMs - startedMs,
      adaptiveTasks: plan.adaptiveTasks,
      tasksOptimized: applied.length,
      changes: applied.sort((a, b) => a.taskId.localeCompare(b.taskId)),
      skippedTasks: skippedTasks.sort(),
      hotKeys: candidates.hotKeys,
      taskWarms: taskWarms.sort((a, b) => a.taskId.localeCompare(b.taskId)),
      patternKeys,
      unmatchedHotKeys: candidates.unmatched,
    });
    state.nextCycleAtMs = finishedMs + state.everyMinutes * 60_000;
    served = servingUpTo;
  }

  /** One cycle; a failed one is recorded and its callers answered, and the schedule goes on. */
  async function runCycle(trigger: CycleReport['trigger']): Promise<void> {
    const servingUpTo = requested;
    try {
      await cycle(trigger);
      lastError = null;
    } catch (err) {
      if (isCancellation(err) || !patched(CYCLE_FAILURE_PATCH)) throw err;
      lastError = boundedText(describeFailure(err), MAX_ERROR_BYTES);
      log.warn('optimiser cycle failed', { error: lastError });
      state.nextCycleAtMs = Date.now() + state.everyMinutes * 60_000;
      served = servingUpTo;
    }
  }

  for (;;) {
    if (settingsStale) {
      settingsStale = false;
      try {
        const settings = await readOptimizerSettings();
        state.everyMinutes = settings.everyMinutes;
        const base = state.lastCycle ? Date.parse(state.lastCycle.finishedAt) : Date.now();
        state.nextCycleAtMs = base + state.everyMinutes * 60_000;
      } catch (err) {
        // As a failed cycle: recorded, and the schedule goes on with the settings last read.
        if (isCancellation(err) || !patched(CYCLE_FAILURE_PATCH)) throw err;
        lastError = boundedText(describeFailure(err), MAX_ERROR_BYTES);
        log.warn('optimiser settings unreadable', { error: lastError });
        state.nextCycleAtMs ??= Date.now() + state.everyMinutes * 60_000;
      }
    }
    if (served < requested) {
      await runCycle('request');
      continue;
    }
    if (!state.paused && state.nextCycleAtMs !== null && Date.now() >= state.nextCycleAtMs) {
      await runCycle('schedule');
      continue;
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyEventsLimit) {
      await condition(allHandlersFinished);
      if (served >= requested)
        await continueAsNew<typeof optimizerWorkflow>({
          carried: { ...state, generation: state.generation + 1 },
          historyEventsLimit,
          ...(instance !== undefined ? { instance } : {}),
        });
      continue;
    }
    wake = false;
    const waitMs =
      state.paused || state.nextCycleAtMs === null ? undefined : Math.max(1, state.nextCycleAtMs - Date.now());
    if (waitMs === undefined) await condition(() => wake);
    else await condition(() => wake, waitMs);
  }
}

/**
 * The optimiser's input, parsed: its id is well known and it serves every task, so an input it
 * cannot read is logged and left out (it starts afresh), never a failed workflow task. Only a bad
 * instance fails the workflow: without it the optimiser would signal another deployment's tasks.
 */
function readOptimizerInput(input: unknown): OptimizerInput {
  const raw =
    typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  const limit = raw.historyEventsLimit;
  const parsed: OptimizerInput =
    typeof limit === 'number' && Number.isInteger(limit) && limit >= 1 ? { historyEventsLimit: limit } : {};
  if (raw.instance !== undefined) {
    // An instance it cannot use would signal ids no task has: refused rather than guessed.
    const problem = typeof raw.instance === 'string' ? instanceProblem(raw.instance) : 'must be a string';
    if (problem) throw ApplicationFailure.nonRetryable(`optimiser input: instance ${problem}`, 'BadInput');
    parsed.instance = raw.instance as string;
  }
  try {
    if (migrateOptimizerState(raw.carried) !== undefined) parsed.carried = raw.carried as OptimizerState;
  } catch (err) {
    if (!(err instanceof CarriedStateError) || err.newerVersion) throw err;
    log.warn('optimiser input: carried state ignored, starting afresh', { problem: err.message });
  }
  return parsed;
}

/** Entries a cycle report keeps of each list: it is the update's result, the query's answer and carried state. */
const MAX_REPORT_ENTRIES = 1_000;

/** The report with its lists cut to MAX_REPORT_ENTRIES, counting what was left out (a fleet re-plan). */
function boundCycleReport(report: CycleReport): CycleReport {
  const { changes, skippedTasks, taskWarms } = report;
  const omitted = {
    changes: Math.max(0, changes.length - MAX_REPORT_ENTRIES),
    skippedTasks: Math.max(0, skippedTasks.length - MAX_REPORT_ENTRIES),
    taskWarms: Math.max(0, taskWarms.length - MAX_REPORT_ENTRIES),
  };
  if (omitted.changes + omitted.skippedTasks + omitted.taskWarms === 0) return report;
  return {
    ...report,
    changes: changes.slice(0, MAX_REPORT_ENTRIES),
    skippedTasks: skippedTasks.slice(0, MAX_REPORT_ENTRIES),
    taskWarms: taskWarms.slice(0, MAX_REPORT_ENTRIES),
    omitted,
  };
}
