// Custom search attributes that make task workflows filterable in the Temporal UI and CLI
// (`WarmCritical = true`, `WarmTags = 'catalog'`). The worker and `warmctl apply` register them.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
