// Counters of outside input a workflow refused or could not keep, on Temporal's metric meter (the
// worker's Prometheus endpoint, beside the warming counters). Workflow metrics are not emitted on
// replay, so each input is counted once.
import { metricMeter } from '@temporalio/workflow';

/**
 * What happened to the input: refused at its handler, lost (a waiting login that did not fit), or
 * served through a path that is going away (a login sent to a release 0.1 `user-session:` workflow).
 */
export type InputFate = 'rejected' | 'dropped' | 'deprecated';

/**
 * `cache_warming_workflow_inputs_total{workflow, input, fate}`: one per malformed signal, refused
 * start, or login a shard could not carry. `input` names the signal or `start`.
 */
export function countInput(input: string, fate: InputFate, count = 1): void {
  metricMeter
    .createCounter('cache_warming_workflow_inputs_total', 'inputs', 'workflow inputs refused or dropped')
    .withTags({ input, fate })
    .add(count);
}
