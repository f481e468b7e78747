// Custom search attributes that make task workflows filterable in the Temporal UI and CLI
// (`WarmCritical = true`, `WarmTags = 'catalog'`). The worker and `warmctl apply` register them.
import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
  type TypedSearchAttributes,
} from '@temporalio/common';
import type { TaskSpec } from '../core/config-schema';
import { isCritical } from '../core/priority';
import { boundedText, TEMPORAL_LIMITS, utf8Bytes } from '../core/temporal-limits';

export const WARM_TASK_ID = defineSearchAttributeKey('WarmTaskId', SearchAttributeType.KEYWORD);
export const WARM_CACHE_KEY = defineSearchAttributeKey('WarmCacheKey', SearchAttributeType.KEYWORD);
export const WARM_CRITICAL = defineSearchAttributeKey('WarmCritical', SearchAttributeType.BOOL);
export const WARM_PRIORITY = defineSearchAttributeKey('WarmPriority', SearchAttributeType.INT);
export const WARM_TAGS = defineSearchAttributeKey('WarmTags', SearchAttributeType.KEYWORD_LIST);
/** `<batch>:ok` / `<batch>:failed` of the last fleet operations that forced a warm of the task (newest last). */
export const WARM_BATCHES = defineSearchAttributeKey('WarmBatches', SearchAttributeType.KEYWORD_LIST);

/** Every custom search attribute with the name Temporal's CLI uses for its type. */
export const SEARCH_ATTRIBUTES = [
  { name: WARM_TASK_ID.name, cliType: 'Keyword' },
  { name: WARM_CACHE_KEY.name, cliType: 'Keyword' },
  { name: WARM_CRITICAL.name, cliType: 'Bool' },
  { name: WARM_PRIORITY.name, cliType: 'Int' },
  { name: WARM_TAGS.name, cliType: 'KeywordList' },
  { name: WARM_BATCHES.name, cliType: 'KeywordList' },
] as const;

/**
 * A task workflow's search attributes, as its start (`warmctl apply`) and the workflow set them.
 * Each value fits Temporal's 2 KB per value: a long key is cut (it is for finding, not reading;
 * `status` has it whole), and tags past that size are left out (the config refuses such tag lists).
 */
export function taskSearchAttributes(spec: TaskSpec): SearchAttributePair[] {
  const limit = TEMPORAL_LIMITS.searchAttributeValueBytes;
  const tags: string[] = [];
  let tagBytes = 2;
  for (const tag of spec.tags) {
    tagBytes += utf8Bytes(JSON.stringify(tag)) + 1;
    if (tagBytes > limit) break;
    tags.push(tag);
  }
  return [
    { key: WARM_TASK_ID, value: boundedText(spec.taskId, limit) },
    { key: WARM_CACHE_KEY, value: boundedText(spec.cacheKey, limit) },
    { key: WARM_CRITICAL, value: isCritical(spec) },
    { key: WARM_PRIORITY, value: spec.priority },
    { key: WARM_TAGS, value: tags },
  ];
}

/**
 * Whether a run already has every one of `pairs`, value for value (a list in the same order): what
 * a continued run's start copies from the run before, and what `warmctl apply` starts a task with.
 * @param current the run's search attributes (`workflowInfo().typedSearchAttributes`)
 * @param pairs what the run would set
 */
export function hasSearchAttributes(current: TypedSearchAttributes, pairs: readonly SearchAttributePair[]): boolean {
  return pairs.every(({ key, value }) => {
    const held: unknown = current.get(key);
    if (!Array.isArray(value)) return held === value;
    return Array.isArray(held) && held.length === value.length && value.every((v, i) => held[i] === v);
  });
}

/** A task workflow's static summary in the Temporal UI, within its 400-byte limit. */
export function taskSummary(spec: TaskSpec): string {
  return boundedText(`Warms ${spec.cacheKey} (${spec.name ?? spec.taskId})`, TEMPORAL_LIMITS.summaryBytes);
}
