// A stats call over every task keeps what visibility listed of the queue's task runs (the run
// catalogue), and the next call lists only the runs that started or closed since, trusting the
// rest once a count call agrees; a run gone from the server, or a catalogue that is not one, makes
// it list in full again. Its answers are a full listing's: a tag-scoped call, which always lists,
// gives the same counters.
import { CATALOGUE_OVERLAP_MS, FULL_LISTING_EVERY_MS } from '../../client/run-catalogue';
import { redisKeys } from '../../store/redis-keys';
import { taskWorkflowId } from '../../workflows';
import { waitFor, waitForWarmCounts } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

const stack = useTestStack();
const origin = useTestOrigin();
/** Every task of this file carries it, so a tag call covers what an unscoped call does. */
const TAG = 'catalogued';

function taskSpec(taskId: string) {
  return {
    taskId,
    cacheKey: `${taskId}:v`,
    loader: { type: 'http' as const, url: `${origin.url}/${taskId}` },
    ttlSeconds: 600,
    intervalMinutes: 1440,
    tags: [TAG],
  };
}

/** Applies these tasks (the config holds only them) and waits for each one's first warm. */
async function applyTasks(taskIds: readonly string[]): Promise<void> {
  for (const taskId of taskIds) origin.route(`/${taskId}`, (_req, hit) => ({ body: `${taskId}:${hit}` }));
  await stack.warming.apply({ tasks: taskIds.map(taskSpec) });
  await waitForWarmCounts(stack.warming, taskIds, 1);
}

function catalogueKey(): string {
  return redisKeys(stack.prefix).runCatalogue(stack.taskQueue);
}

/**
 * Moves the kept catalogue's time on by the overlap, as if it had been kept that long after these
 * runs started: the next call's changed-runs listing then starts now, so only what starts or
 * closes from here on is listed.
 */
async function ageCatalogue(): Promise<void> {
  const text = await stack.redis.get(catalogueKey());
  if (text === null) throw new Error('no run catalogue kept');
  const catalogue = JSON.parse(text) as { asOfMs: number };
  catalogue.asOfMs = Date.now() + CATALOGUE_OVERLAP_MS;
  await stack.redis.set(catalogueKey(), JSON.stringify(catalogue));
}

/** The counters of a stats answer, without when and what it read. */
function counters(stats: object): object {
  return { ...stats, generatedAt: '', read: null };
}

test('the first call lists every run and keeps them; the next lists only what changed, and answers alike', async () => {
  await applyTasks(['a', 'b', 'c']);
  await stack.warming.warm('a');
  const first = await stack.warming.stats();
  expect(first.read).toMatchObject({ runs: 3, runsListed: 3, historiesRead: 3 });
  expect(first).toMatchObject({ totalWarmings: 4, succeeded: 4 });
  expect(await stack.redis.exists(catalogueKey())).toBe(1);

  await ageCatalogue();
  const second = await stack.warming.stats();
  expect(second.read).toMatchObject({ runs: 3, runsListed: 0, fromDigest: 3, historiesRead: 0 });
  expect(counters(second)).toEqual(counters(first));
  expect(counters(await stack.warming.stats({ tag: TAG }))).toEqual(counters(second));

  // A new task starts a run, a removed one closes its run: the two runs listed, nothing else.
  await ageCatalogue();
  await applyTasks(['a', 'b', 'c', 'd']);
  await stack.warming.remove('c');
  const third = await stack.warming.stats();
  expect(third.read).toMatchObject({ runs: 4, runsListed: 2, historiesRead: 2 });
  expect(third).toMatchObject({ totalWarmings: 5, succeeded: 5 });
  expect(third.byTask['c']).toMatchObject({ totalWarmings: 1 });
  expect(third.byTask['d']).toMatchObject({ totalWarmings: 1 });
  expect(counters(await stack.warming.stats({ tag: TAG }))).toEqual(counters(third));

  // A window filters the kept runs as the query would: the closed run is in it, having closed now.
  await ageCatalogue();
  const sinceMs = Date.now() - 3_600_000;
  const windowed = await stack.warming.stats({ sinceMs });
  expect(windowed.read).toMatchObject({ runs: 4, runsListed: 0 });
  expect(counters(windowed)).toEqual(counters(await stack.warming.stats({ tag: TAG, sinceMs })));
});

test('a run deleted from the server after the catalogue was kept makes the next call list in full, without it', async () => {
  await applyTasks(['e', 'f']);
  const before = await stack.warming.stats();
  expect(before.byTask['e']).toMatchObject({ totalWarmings: 1 });
  await ageCatalogue();

  const { runId } = await stack.temporal.workflow.getHandle(taskWorkflowId('e')).describe();
  await stack.temporal.workflowService.deleteWorkflowExecution({
    namespace: stack.temporal.options.namespace,
    workflowExecution: { workflowId: taskWorkflowId('e'), runId },
  });
  await waitFor('the deleted run gone from visibility', async () => {
    const { count } = await stack.temporal.workflow.count(`WorkflowId = '${taskWorkflowId('e')}'`);
    return count === 0;
  });

  const after = await stack.warming.stats();
  // Every run of the file's earlier test and of this one, listed again.
  expect(after.read.runsListed).toBe(after.read.runs);
  expect(after.byTask['e']).toBeUndefined();
  expect(after.byTask['f']).toMatchObject({ totalWarmings: 1 });
  expect(counters(await stack.warming.stats({ tag: TAG }))).toEqual(counters(after));
});

test('a windowed call with no catalogue kept lists its window as before, and keeps none', async () => {
  await applyTasks(['i']);
  await stack.redis.del(catalogueKey());
  const sinceMs = Date.now() - 60_000;
  const windowed = await stack.warming.stats({ sinceMs });
  expect(windowed.byTask['i']).toMatchObject({ totalWarmings: 1 });
  expect(windowed.read.runsListed).toBe(windowed.read.runs);
  expect(await stack.redis.exists(catalogueKey())).toBe(0);
  expect(counters(windowed)).toEqual(counters(await stack.warming.stats({ tag: TAG, sinceMs })));
});

test('a catalogue last listed in full longer ago than that limit is listed in full again', async () => {
  await applyTasks(['h']);
  await stack.warming.stats();
  await ageCatalogue();
  const kept = JSON.parse((await stack.redis.get(catalogueKey())) as string) as { fullListingMs: number };
  const fullListingMs = Date.now() - FULL_LISTING_EVERY_MS - 1_000;
  await stack.redis.set(catalogueKey(), JSON.stringify({ ...kept, fullListingMs }));
  const stats = await stack.warming.stats();
  expect(stats.read.runsListed).toBe(stats.read.runs);
  const after = JSON.parse((await stack.redis.get(catalogueKey())) as string) as { fullListingMs: number };
  expect(after.fullListingMs).toBeGreaterThan(fullListingMs + FULL_LISTING_EVERY_MS);
  await ageCatalogue();
  expect((await stack.warming.stats()).read.runsListed).toBe(0);
});

test('a call over more runs than a catalogue may hold deletes the kept one, and the next lists in full', async () => {
  await applyTasks(['j']);
  await stack.warming.stats();
  await ageCatalogue();
  // Every run of the file so far: more than one, so a cap of one leaves no catalogue to keep.
  const over = await stack.warming.stats({ maxCatalogueRuns: 1 });
  expect(over.read.runs).toBeGreaterThan(1);
  expect(await stack.redis.exists(catalogueKey())).toBe(0);
  expect(counters(over)).toEqual(counters(await stack.warming.stats({ tag: TAG })));

  const next = await stack.warming.stats({ maxCatalogueRuns: 1 });
  expect(next.read.runsListed).toBe(next.read.runs);
  expect(next.byTask['j']).toMatchObject({ totalWarmings: 1 });
  expect(await stack.redis.exists(catalogueKey())).toBe(0);
  // Under the shipped cap the call keeps one again.
  await stack.warming.stats();
  expect(await stack.redis.exists(catalogueKey())).toBe(1);
});

test.each([
  ['not JSON', '{'],
  [
    'of another queue',
    JSON.stringify({ v: 1, taskQueue: 'elsewhere', asOfMs: Date.now(), fullListingMs: Date.now(), runs: [] }),
  ],
  [
    'of another version',
    JSON.stringify({ v: 0, taskQueue: 'QUEUE', asOfMs: Date.now(), fullListingMs: Date.now(), runs: [] }),
  ],
  [
    'holding a malformed run',
    JSON.stringify({ v: 1, taskQueue: 'QUEUE', asOfMs: Date.now(), fullListingMs: Date.now(), runs: [['x']] }),
  ],
])('a kept catalogue %s is none: every run is listed and the catalogue written anew', async (_what, text) => {
  await applyTasks(['g']);
  await stack.warming.stats();
  await stack.redis.set(catalogueKey(), text.replace('QUEUE', stack.taskQueue));
  const stats = await stack.warming.stats();
  expect(stats.read.runsListed).toBe(stats.read.runs);
  expect(stats.byTask['g']).toMatchObject({ totalWarmings: 1 });
  const kept = JSON.parse((await stack.redis.get(catalogueKey())) as string) as { taskQueue: string; runs: unknown[] };
  expect(kept).toMatchObject({ v: 1, taskQueue: stack.taskQueue });
  expect(kept.runs).toHaveLength(stats.read.runs);
});
