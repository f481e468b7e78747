// Activities of the optimiser, one module per concern: its settings (optimizer-settings-activities.ts),
// interval planning (interval-planning-activities.ts), the hot keys due now
// (warm-candidate-activities.ts) and pattern keys warmed in batches (warm-batch-activities.ts).
import { createIntervalPlanningActivities } from './interval-planning-activities';
import type { OptimizerActivityDeps } from './optimizer-activity-deps';
import { createOptimizerSettingsActivities } from './optimizer-settings-activities';
import { createWarmBatchActivities } from './warm-batch-activities';
import { createWarmCandidateActivities } from './warm-candidate-activities';

export type { OptimizerActivityDeps } from './optimizer-activity-deps';
export type { OptimizerSettings } from './optimizer-settings-activities';
export type { IntervalChange, IntervalPlan } from './interval-planning-activities';
export type {
  HotKeyPlanSummary,
  PatternWarmGroup,
  TaskWarmCandidate,
  WarmCandidates,
} from './warm-candidate-activities';
export type { WarmBatchInput, WarmBatchResult } from './warm-batch-activities';

export function createOptimizerActivities(deps: OptimizerActivityDeps) {
  return {
    ...createOptimizerSettingsActivities(deps),
    ...createIntervalPlanningActivities(deps),
    ...createWarmCandidateActivities(deps),
    ...createWarmBatchActivities(deps),
  };
}

export type OptimizerActivities = ReturnType<typeof createOptimizerActivities>;
