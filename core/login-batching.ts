// The login rules both login receivers apply (the login shards, userLoginsWorkflow, and the legacy
// per-user userSessionWorkflow): how a login joins what that user's preload already does, and when
// a batch of logins is skipped because the user was preloaded within the skip window. Pure, so the
// two workflows cannot drift apart and the rules are tested without a workflow.

/** What one login, or a batch of them, asks of a preload. */
export interface LoginWants {
  force: boolean;
  preloadForms: boolean;
}

/** A login's effect on the user's queue: the running preload covers it, it merges into the queued batch, or it starts one. */
export type LoginArrival =
  { kind: 'covered' } | { kind: 'merged'; pending: LoginWants } | { kind: 'queued'; pending: LoginWants };

/**
 * A login the running preload (`serving`) already covers joins it; a forced one, or one wanting forms
 * the running preload leaves out, queues one more preload after it, merged into any already queued.
 */
export function arriveLogin(wanted: LoginWants, serving: LoginWants | null, pending: LoginWants | null): LoginArrival {
  if (serving !== null && !wanted.force && (!wanted.preloadForms || serving.preloadForms)) return { kind: 'covered' };
  if (pending) {
    return {
      kind: 'merged',
      pending: { force: pending.force || wanted.force, preloadForms: pending.preloadForms || wanted.preloadForms },
    };
  }
  return { kind: 'queued', pending: { ...wanted } };
}

/** The user's last complete preload: when it finished (ms since the epoch, or null for never) and whether it loaded forms. */
export interface LastPreload {
  completeAtMs: number | null;
  includedForms: boolean;
}

/**
 * Whether a batch of logins is skipped: not forced, the user's last complete preload finished less
 * than `skipMs` ago, and it loaded forms if the batch wants them.
 */
export function skipsPreload(batch: LoginWants, last: LastPreload, skipMs: number, nowMs: number): boolean {
  const recent = last.completeAtMs !== null && nowMs - last.completeAtMs < skipMs;
  return !batch.force && recent && (!batch.preloadForms || last.includedForms);
}
