// What one user preload reports per source and key: metadata only, never values. Shared by the
// preload activity that produces it, the workflows that carry it and the statistics read from it.

/** The kinds of user data a preload loads. */
export type PreloadSourceName = 'session' | 'navigation' | 'forms';

/** One key a preload wrote (or failed to): metadata only, never the value. */
export interface PreloadKeyResult {
  cacheKey: string;
  /** Set for form items. */
  formId?: string;
  ok: boolean;
  /** False when a newer value was already stored and kept, or when the load joined another's. */
  written?: boolean;
  /** Another holder of the key's single-flight claim (a cache client's read) wrote it while this waited. */
  joined?: true;
  /** Still waiting for its origin at the preload's deadline (`shedAfterSeconds`): dropped, never loaded. */
  shed?: true;
  sizeBytes?: number;
  durationMs: number;
  error?: string;
}

/** One source of a preload. A failed source never stops the others. */
export interface PreloadSourceResult {
  source: PreloadSourceName;
  ok: boolean;
  durationMs: number;
  /** The keys of this source; for forms, one per picked form. */
  keys: PreloadKeyResult[];
  /** For forms: the ids picked from the list, most recent first. */
  formIds?: string[];
  /** Why the source failed (for forms: the list, or how many items failed and the first reason). */
  error?: string;
  /** For forms: the list itself was shed at the preload's deadline. */
  shed?: true;
}

/** Loads of a preload shed at its deadline: keys, and a forms list. */
export function shedLoads(sources: readonly PreloadSourceResult[]): number {
  let shed = 0;
  for (const source of sources) {
    if (source.shed) shed++;
    for (const key of source.keys) if (key.shed) shed++;
  }
  return shed;
}
