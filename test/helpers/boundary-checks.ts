// What the fuzz suite checks after each batch of hostile input: no workflow task failed in any
// history, nothing but the product's own layout under the deployment's Redis prefix (and no value
// there), summaries within Temporal's size, and failures that name the field they are about.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import type { Redis } from 'ioredis';
import { parseWarmingConfig } from '../../core/config-schema';
import type { RedisKeys } from '../../store/redis-keys';
import { USER_METADATA_SUMMARY_BYTES } from './production-limits';
import { clip, describeValue, type FieldPath } from './hostile-inputs';

/** One workflow run, as visibility lists it or as a test knows it. */
export interface RunRef {
  workflowId: string;
  runId?: string;
}

/** A WorkflowTaskFailed event: the run it is in and what the worker or server said. */
export interface WorkflowTaskFailure {
  workflowId: string;
  runId: string;
  cause: string;
  message: string;
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Every run on `queues` (open and closed) started at or after `since`. */
export async function runsOnQueues(
  client: Client,
  queues: readonly string[],
  since?: Date,
): Promise<WorkflowExecutionInfo[]> {
  const onQueues = `(${queues.map((queue) => `TaskQueue = ${quote(queue)}`).join(' OR ')})`;
  const query = since ? `${onQueues} AND StartTime >= ${quote(since.toISOString())}` : onQueues;
  const runs: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query })) runs.push(execution);
  return runs;
}

/**
 * Causes that are Temporal's own protocol, not a fault: a workflow that completes while a new
 * signal arrives has its completion refused once (UnhandledCommand) and runs again with the signal.
 */
const PROTOCOL_CAUSES = new Set(['WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND']);

/** The WorkflowTaskFailed events in the histories of `runs` (a run without runId: its latest), but for PROTOCOL_CAUSES. */
export async function workflowTaskFailures(client: Client, runs: readonly RunRef[]): Promise<WorkflowTaskFailure[]> {
  const seen = new Set<string>();
  const failures: WorkflowTaskFailure[] = [];
  for (const run of runs) {
    const ref = `${run.workflowId}/${run.runId ?? ''}`;
    if (seen.has(ref)) continue;
    seen.add(ref);
    let history;
    try {
      history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    } catch {
      continue; // never started (the server refused it): nothing to fail
    }
    for (const event of history.events ?? []) {
      const attributes = event.workflowTaskFailedEventAttributes;
      if (!attributes) continue;
      const cause = proto.api.enums.v1.WorkflowTaskFailedCause[attributes.cause ?? 0] ?? String(attributes.cause);
      if (PROTOCOL_CAUSES.has(cause)) continue;
      failures.push({
        workflowId: run.workflowId,
        runId: run.runId ?? '(latest)',
        cause,
        message: attributes.failure?.message ?? '',
      });
    }
  }
  return failures;
}

/** Failures as lines for an assertion message. */
export function describeTaskFailures(failures: readonly WorkflowTaskFailure[]): string {
  return failures.map((f) => `${describeValue(f.workflowId, 120)}: ${f.cause}: ${clip(f.message, 400)}`).join('\n');
}

/** Fails with every WorkflowTaskFailed event in the histories of `runs`. */
export async function expectNoWorkflowTaskFailures(client: Client, runs: readonly RunRef[]): Promise<void> {
  const failures = await workflowTaskFailures(client, runs);
  if (failures.length > 0) throw new Error(`a workflow task failed:\n${describeTaskFailures(failures)}`);
}

/**
 * Waits until `check` gives a value (as waitFor), but fails at once when a workflow task of one of
 * `watch()`'s runs fails: a wedged workflow retries its task for ever, so waiting longer proves nothing.
 */
export async function waitServed<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  client: Client,
  watch: () => RunRef[] | Promise<RunRef[]>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let nextWatch = Date.now() + 500;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= nextWatch || Date.now() > deadline) {
      nextWatch = Date.now() + 1_000;
      const failures = await workflowTaskFailures(client, await watch());
      if (failures.length > 0) {
        throw new Error(`${what}: not served, because a workflow task failed:\n${describeTaskFailures(failures)}`);
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A call that got no answer in time, or none because the workflow's task fails: what a wedged workflow gives a query or an update. */
export class NoAnswerError extends Error {
  override readonly name = 'NoAnswerError';
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/**
 * `call` (a query, an update, a signal) to the workflow of `runs`, cancelled after `ms`, or as soon
 * as a workflow task of `runs` fails: a NoAnswerError then says which. Never leaves a request behind.
 */
export async function answerOrWedged<T>(
  client: Client,
  runs: readonly RunRef[],
  ms: number,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let verdict: NoAnswerError | undefined;
  const watch = (async () => {
    const deadline = Date.now() + ms;
    while (!controller.signal.aborted) {
      await pause(Math.min(500, Math.max(0, deadline - Date.now())), controller.signal);
      if (controller.signal.aborted) return;
      if (Date.now() >= deadline) verdict = new NoAnswerError(`${what}: no answer within ${ms} ms`);
      else {
        const failures = await workflowTaskFailures(client, runs).catch(() => []);
        if (failures.length > 0)
          verdict = new NoAnswerError(`${what}: no answer, a workflow task failed:\n${describeTaskFailures(failures)}`);
      }
      if (verdict) controller.abort();
    }
  })();
  try {
    return await client.connection.withAbortSignal(controller.signal, call);
  } catch (err) {
    throw verdict ?? err;
  } finally {
    controller.abort();
    await watch;
  }
}

/** Redis Cluster's slot of a key: CRC16 (XMODEM) of its hash tag, mod 16384. */
export function clusterSlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc ^= (bytes[i] as number) << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

/** The cache key a `meta:` or `lock:` key of the layout was built for, or undefined when it is none. */
function keyOfPerKeyEntry(keys: RedisKeys, key: string, kind: 'meta' | 'lock'): string | undefined {
  const start = `${keys.prefix}${kind}:{`;
  if (!key.startsWith(start)) return undefined;
  const build = kind === 'meta' ? keys.meta : keys.lock;
  for (let i = key.indexOf('}:', start.length); i >= 0; i = key.indexOf('}:', i + 1)) {
    const candidate = key.slice(i + 2);
    if (build(candidate) === key) return candidate;
  }
  return undefined;
}

const EXPECTED_TYPE: [RegExp, string][] = [
  [/^config$/, 'string'],
  [/^applied$/, 'hash'],
  [/^planned$/, 'hash'],
  [/^optimizer:tuning$/, 'string'],
  [/^run:/, 'string'],
  // A task run's last warm, written by warmKey (client/history-stats.ts reads it).
  [/^warmed:/, 'string'],
  [/^tag:/, 'set'],
  [/^\{usage\}:m:\d+$/, 'zset'],
  [/^\{usage\}:tmp:/, 'zset'],
  // The origin budget the workers share: leases, starts, demand per origin.
  [/^budget:\{[0-9a-z]{1,4}\}:.+:(leases|starts|demand)$/, 'zset'],
];

/** What is wrong under the prefix, and the keys to delete so a later batch is judged on its own. */
export interface PrefixReport {
  problems: string[];
  offending: string[];
}

/**
 * What is wrong under the prefix: keys that are not the product's layout (store/redis-keys.ts) or
 * hold the wrong type, an applied config that no longer parses, metadata of a value stored under
 * the prefix or in another Redis Cluster slot than its value, and any of `sentKeys` (cache keys a
 * test sent) that exists under the prefix as something other than the product's own key.
 */
export async function inspectPrefix(
  redis: Redis,
  keys: RedisKeys,
  sentKeys: Iterable<unknown> = [],
): Promise<PrefixReport> {
  const problems: string[] = [];
  const offending: string[] = [];
  const found: string[] = [];
  const pattern = `${keys.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  const types = await Promise.all(found.map((key) => redis.type(key)));
  const show = (key: string) => describeValue(key, 160);
  const wrong = (key: string, problem: string) => {
    problems.push(problem);
    offending.push(key);
  };
  for (const [i, key] of found.entries()) {
    const type = types[i] as string;
    // Gone between SCAN and TYPE (an origin budget's lease set emptied, a key that expired): no
    // key is left to hold a wrong type.
    if (type === 'none') continue;
    const rest = key.slice(keys.prefix.length);
    const meta = keyOfPerKeyEntry(keys, key, 'meta');
    const lock = keyOfPerKeyEntry(keys, key, 'lock');
    if (meta !== undefined || lock !== undefined) {
      const valueKey = (meta ?? lock) as string;
      const want = meta !== undefined ? 'hash' : 'string';
      if (type !== want) wrong(key, `${show(key)} is a ${type}, not a ${want}`);
      if (valueKey.startsWith(keys.prefix)) {
        const source = meta !== undefined ? await redis.hget(key, 'source').catch(() => null) : null;
        wrong(key, `a value was stored under the prefix at ${show(valueKey)} (by ${source ?? 'a lock'})`);
        offending.push(valueKey);
      }
      if (clusterSlot(key) !== clusterSlot(valueKey)) {
        wrong(key, `${show(key)} is in another Redis Cluster slot than its value ${show(valueKey)} (CROSSSLOT)`);
      }
      continue;
    }
    const expected = EXPECTED_TYPE.find(([shape]) => shape.test(rest));
    if (!expected) {
      wrong(key, `${show(key)} (${type}) is not part of the product's layout`);
      continue;
    }
    if (type !== expected[1]) wrong(key, `${show(key)} is a ${type}, not a ${expected[1]}`);
    if (rest === 'config' && type === 'string') {
      const text = (await redis.get(key)) ?? '';
      try {
        parseWarmingConfig(JSON.parse(text));
      } catch (err) {
        wrong(key, `${show(key)} no longer holds an applied config (${describeValue(text, 60)}: ${String(err)})`);
      }
    }
  }
  const present = new Set(found);
  for (const sent of new Set(sentKeys)) {
    if (typeof sent !== 'string' || !sent.startsWith(keys.prefix) || !present.has(sent)) continue;
    const rest = sent.slice(keys.prefix.length);
    const ownKey = EXPECTED_TYPE.some(([shape]) => shape.test(rest)) || keyOfPerKeyEntry(keys, sent, 'meta');
    if (!ownKey) wrong(sent, `the cache key ${show(sent)} a test sent exists under the prefix`);
    else if ((await redis.exists(keys.meta(sent))) === 1)
      wrong(sent, `the cache key ${show(sent)} a test sent was stored over the product's own key`);
  }
  return { problems: [...new Set(problems)], offending: [...new Set(offending)] };
}

/** inspectPrefix's problems, after deleting the offending keys so the next batch starts clean. */
export async function prefixProblems(
  redis: Redis,
  keys: RedisKeys,
  sentKeys: Iterable<unknown> = [],
): Promise<string[]> {
  const { problems, offending } = await inspectPrefix(redis, keys, sentKeys);
  if (offending.length > 0) await redis.del(...offending);
  return problems;
}

/** Fails listing prefixProblems. */
export async function expectPrefixHeld(redis: Redis, keys: RedisKeys, sentKeys: Iterable<unknown> = []): Promise<void> {
  const problems = await prefixProblems(redis, keys, sentKeys);
  if (problems.length > 0) throw new Error(`under the prefix ${keys.prefix}:\n${problems.join('\n')}`);
}

/**
 * Terminates the running login shards of `taskQueue`, so the next batch starts with fresh shards
 * and is judged on its own (a shard wedged by the last one would fail it too).
 */
export async function stopLoginShards(client: Client, taskQueue: string): Promise<void> {
  const query = `WorkflowType = 'userLoginsWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = ${quote(taskQueue)}`;
  for await (const execution of client.workflow.list({ query })) {
    await client.workflow
      .getHandle(execution.workflowId)
      .terminate('a new batch')
      .catch(() => undefined);
  }
}

/** Every run of one workflow id (its continue-as-new chain and earlier runs). */
export async function runsOf(client: Client, workflowId: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = ${quote(workflowId)}` }))
    runs.push(execution);
  return runs;
}

/** Runs whose static summary is over the size Temporal allows a summary (USER_METADATA_SUMMARY_BYTES). */
export async function oversizedSummaries(client: Client, runs: readonly RunRef[]): Promise<string[]> {
  const problems: string[] = [];
  for (const run of runs) {
    let summary: string | undefined;
    try {
      summary = await (await client.workflow.getHandle(run.workflowId, run.runId).describe()).staticSummary();
    } catch {
      continue;
    }
    const bytes = Buffer.byteLength(summary ?? '', 'utf8');
    if (bytes > USER_METADATA_SUMMARY_BYTES) {
      problems.push(`${describeValue(run.workflowId, 100)}: a ${bytes}-byte summary ${describeValue(summary, 80)}`);
    }
  }
  return problems;
}

/** An error and its causes, outermost first (WorkflowFailedError -> ActivityFailure -> ApplicationFailure). */
export function causeChain(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let e: unknown = err; e instanceof Error && chain.length < 10; e = (e as { cause?: unknown }).cause)
    chain.push(e);
  return chain;
}

/** Whether `message` names the field at `path` (any of its parts, as a word), e.g. `loader.url: ...`. */
export function namesField(message: string, path: FieldPath): boolean {
  return path.some((part) => message.includes(part));
}

/** Problems with an error message meant for an operator: more than one line, empty, or a stack trace. */
export function oneLineProblem(message: string): string | undefined {
  if (message.trim() === '') return 'the message is empty';
  if (/[\r\n\u2028\u2029]/.test(message)) return `the message is not one line: ${describeValue(message, 200)}`;
  if (/\n\s+at /.test(message)) return 'the message is a stack trace';
  return undefined;
}
