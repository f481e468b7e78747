// How a long activity tells Temporal it is alive: one interval for all of them, and the beat of an
// activity that may also run as a local one (which has no heartbeat: Temporal keeps its workflow
// task alive instead).
import type { Context } from '@temporalio/activity';

/**
 * How often an activity beats while nothing else makes it beat (an origin thinking), well inside
 * the 20 s and 30 s heartbeat timeouts its workflows set (workflows/warm-task.ts,
 * workflows/preload-user.ts, workflows/warm-in-batches.ts).
 */
const HEARTBEAT_EVERY_MS = 5_000;

/**
 * An activity's beat: `beat` now, `progress` now unless the last beat (of either, or of the
 * interval) was less than the progress gap ago (say, per load that ends), and every
 * HEARTBEAT_EVERY_MS until `stop`.
 */
export interface ActivityBeat {
  beat(): void;
  progress(): void;
  stop(): void;
}

/**
 * Beats this activity every HEARTBEAT_EVERY_MS from now, with `details()` as its progress, until
 * `stop`; for a local activity all three do nothing.
 * @param context the running activity's
 * @param details what each beat carries
 * @param progressGapMs the least time between a beat and a `progress` beat after it
 * @default details none
 * @default progressGapMs 0
 */
export function startHeartbeat(context: Context, details?: () => unknown, progressGapMs = 0): ActivityBeat {
  if (context.info.isLocal) return { beat: () => undefined, progress: () => undefined, stop: () => undefined };
  let lastBeat = 0;
  const beat = () => {
    lastBeat = Date.now();
    context.heartbeat(details?.());
  };
  const progress = () => {
    if (Date.now() - lastBeat >= progressGapMs) beat();
  };
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  return { beat, progress, stop: () => clearInterval(timer) };
}
