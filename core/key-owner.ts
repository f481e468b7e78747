// Which part of the applied config loads a cache key: the task whose key it is, else the first
// pattern it matches (with the placeholder values the key gives it), else none. The optimiser's
// hot-key warming and `invalidate --rewarm` both ask this, so they can never disagree.
import type { WarmingConfig } from './config-schema';
import { matchTemplate } from './key-template';

type Task = WarmingConfig['tasks'][number];
type Pattern = WarmingConfig['patterns'][number];

/** Who loads a key: its task, or a pattern (by its index in the config) with the key's placeholder values. */
export type KeyOwner =
  { kind: 'task'; task: Task } | { kind: 'pattern'; index: number; pattern: Pattern; vars: Record<string, string> };

/** Finds the owners of many keys in one config: the task index is built once. */
export function keyOwners(config: Pick<WarmingConfig, 'tasks' | 'patterns'>): (key: string) => KeyOwner | undefined {
  const taskByKey = new Map(config.tasks.map((task) => [task.cacheKey, task]));
  return (key) => {
    const task = taskByKey.get(key);
    if (task) return { kind: 'task', task };
    for (const [index, pattern] of config.patterns.entries()) {
      const vars = matchTemplate(pattern.match, key);
      if (vars) return { kind: 'pattern', index, pattern, vars };
    }
    return undefined;
  };
}
