// How a long activity tells Temporal it is alive: one interval for all of them, and the beat of an
// activity that may also run as a local one (which has no heartbeat: Temporal keeps its workflow
// task alive instead).
import type { Context } from '@temporalio/activity';

/**
 * How often an activity beats while nothing else makes it beat (an origin thinking), well inside
 * the 20 s and 30 s heartbeat timeouts its workflows set (workflows/warm-task.ts,
 * workflows/preload-user.ts, workflows/warm-in-batches.ts).
 */
export const HEARTBEAT_EVERY_MS = 5_000;

/** An activity's beat: `beat` now (say, per body chunk), and every HEARTBEAT_EVERY_MS until `stop`. */
export interface ActivityBeat {
  beat(): void;
  stop(): void;
}

/**
 * Beats this activity every HEARTBEAT_EVERY_MS from now, with `details()` as its progress, until
 * `stop`; for a local activity both do nothing.
 * @param context the running activity's
 * @param details what each beat carries
 * @default details none
 */
export function startHeartbeat(context: Context, details?: () => unknown): ActivityBeat {
  if (context.info.isLocal) return { beat: () => undefined, stop: () => undefined };
  const beat = () => context.heartbeat(details?.());
  const timer = setInterval(beat, HEARTBEAT_EVERY_MS);
  return { beat, stop: () => clearInterval(timer) };
}
