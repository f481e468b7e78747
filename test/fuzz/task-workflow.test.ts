// Fuzz of the task workflow's boundary: generated hostile payloads sent through every signal
// (forceWarm, pause, resume, remove, setInterval), update (warmNow, applyTask) and query (status) of
// a running `warm-task:<id>`, and hostile inputs to a warmTaskWorkflow started directly, as an
// operator with the Temporal CLI could. After each batch: no workflow task failed, nothing but the
// product's layout under the prefix, the workflow answers `status` and still serves a good input.
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { taskSchema, type TaskInput } from '../../core/config-schema';
import { redisKeys } from '../../store/redis-keys';
import { taskWorkflowId, type TaskStatus, type WarmTaskInput } from '../../workflows';
import {
  causeChain,
  expectNoWorkflowTaskFailures,
  namesField,
  oneLineProblem,
  oversizedSummaries,
  prefixProblems,
  runsOf,
  runsOnQueues,
  NoAnswerError,
  waitServed,
  answerOrWedged,
  workflowTaskFailures,
  type RunRef,
} from '../helpers/boundary-checks';
import {
  clip,
  describeValue,
  hostileKeyText,
  hostilePayload,
  hostileText,
  hostileValue,
  reservedText,
  serverFuzzOptions,
  wrongType,
  type FieldPath,
  type HostilePayload,
} from '../helpers/hostile-inputs';
import { uniqueName } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(150_000);

const stack = useTestStack();
const origin = useTestOrigin({ '/v': (_req, hit) => ({ body: `value ${hit}` }) });
/** This file's cache keys, outside the reserved prefix. */
const ns = uniqueName('fz-task');
/** Stands for the task id of the run in generated payloads (ids are made per run, not per value). */
const TASK = 'fuzz-task-id';

const queues = () => [stack.taskQueue, `${stack.taskQueue}-critical`];

/** A complete, valid spec for task `taskId`, as `warmctl apply` would send it. */
function goodSpec(taskId: string): Required<Omit<TaskInput, 'loader'>> & { loader: { type: 'http'; url: string } } {
  return {
    taskId,
    name: 'fuzz target',
    cacheKey: `${ns}:${taskId}`,
    loader: { type: 'http', url: `${origin.url}/v` },
    ttlSeconds: 600,
    tags: ['fuzz'],
    priority: 10,
    critical: false,
    intervalMinutes: 600,
    adaptive: true,
  };
}

const SPEC_FIELDS: FieldPath[] = [
  ['taskId'],
  ['name'],
  ['cacheKey'],
  ['loader'],
  ['loader', 'type'],
  ['loader', 'url'],
  ['loader', 'headers'],
  ['loader', 'timeoutSeconds'],
  ['ttlSeconds'],
  ['tags'],
  ['priority'],
  ['critical'],
  ['intervalMinutes'],
  ['adaptive'],
];

/** Fields of a task with a default (core/config-schema.ts): a spec may leave them out. */
const DEFAULTED_FIELDS = new Set(['name', 'tags', 'priority', 'critical', 'intervalMinutes', 'adaptive']);

/** Values worth trying for a spec field: keys and ids get key-like text (so later checks are reached). */
function specValues(prefix: string) {
  return (path: FieldPath): fc.Arbitrary<unknown> => {
    const last = path[path.length - 1];
    if (last === 'cacheKey' || last === 'taskId' || last === 'name')
      return fc.oneof(reservedText(prefix), hostileKeyText(prefix), hostileValue(prefix));
    if (last === 'tags') return fc.oneof(fc.array(hostileKeyText(prefix), { maxLength: 40 }), wrongType(prefix));
    return hostileValue(prefix);
  };
}

/** The payload with the run's task id in place of TASK. */
function forTask<T>(payload: T, taskId: string): T {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  const copy = { ...(payload as Record<string, unknown>) };
  if (copy.taskId === TASK) copy.taskId = taskId;
  if (typeof copy.spec === 'object' && copy.spec !== null && (copy.spec as { taskId?: unknown }).taskId === TASK)
    copy.spec = { ...(copy.spec as Record<string, unknown>), taskId };
  if (copy.cacheKey === `${ns}:${TASK}`) copy.cacheKey = `${ns}:${taskId}`;
  return copy as T;
}

type TaskMessage =
  | { kind: 'signal'; name: 'forceWarm' | 'pause' | 'resume' | 'setInterval'; sent: HostilePayload }
  | { kind: 'remove'; payload: unknown }
  | { kind: 'update'; name: 'warmNow' | 'applyTask'; sent: HostilePayload }
  | { kind: 'query'; payload: unknown };

/** Each entry of the task workflow, with generators of hostile messages to it. */
function taskMessages(prefix: string): Record<string, fc.Arbitrary<TaskMessage>> {
  const warmPayload = hostilePayload({ reason: 'fuzz' }, [['reason'], ['batch']], prefix);
  return {
    'the forceWarm signal': fc.record({
      kind: fc.constant('signal' as const),
      name: fc.constant('forceWarm' as const),
      sent: warmPayload,
    }),
    'the pause and resume signals': fc.record({
      kind: fc.constant('signal' as const),
      name: fc.constantFrom('pause' as const, 'resume' as const),
      sent: hostileValue(prefix).map((payload): HostilePayload => ({ payload, change: 'whole' })),
    }),
    'the setInterval signal': fc.record({
      kind: fc.constant('signal' as const),
      name: fc.constant('setInterval' as const),
      sent: hostilePayload({ intervalMinutes: 30, reason: 'fuzz' }, [['intervalMinutes'], ['reason']], prefix),
    }),
    // Only malformed payloads: a well-formed remove ends the task, so the good input could not follow.
    'the remove signal (malformed payloads)': fc.record({
      kind: fc.constant('remove' as const),
      payload: fc.oneof(
        fc.oneof(hostileText(prefix), fc.integer(), fc.constant(true), fc.array(fc.integer(), { maxLength: 3 })),
        wrongType(prefix)
          .filter((reason) => reason !== undefined && reason !== null && typeof reason !== 'string')
          .map((reason) => ({ reason })),
      ),
    }),
    'the warmNow update': fc.record({
      kind: fc.constant('update' as const),
      name: fc.constant('warmNow' as const),
      sent: warmPayload,
    }),
    'the applyTask update': fc.record({
      kind: fc.constant('update' as const),
      name: fc.constant('applyTask' as const),
      sent: hostilePayload(goodSpec(TASK), SPEC_FIELDS, prefix, specValues(prefix)),
    }),
    'the status query': fc.record({ kind: fc.constant('query' as const), payload: hostileValue(prefix) }),
  };
}

const ENTRIES = [
  'the forceWarm signal',
  'the pause and resume signals',
  'the setInterval signal',
  'the remove signal (malformed payloads)',
  'the warmNow update',
  'the applyTask update',
  'the status query',
];

/** The applyTask cases, run first every time: defaulted fields left out, and a key under the prefix. */
function applyTaskExamples(prefix: string): [TaskMessage[]][] {
  const update = (sent: HostilePayload): TaskMessage => ({ kind: 'update', name: 'applyTask', sent });
  const spec = goodSpec(TASK);
  const {
    tags: _tags,
    priority: _priority,
    critical: _critical,
    adaptive: _adaptive,
    intervalMinutes: _interval,
    name: _name,
    ...required
  } = spec;
  return [
    [[update({ payload: required, field: ['tags'], change: 'removed' })]],
    [[update({ payload: { ...spec, cacheKey: `${prefix}config` }, field: ['cacheKey'], change: 'set' })]],
  ];
}

/** Starts a task the way `warmctl apply` does and waits for its first warm. */
async function startGoodTask(): Promise<{ taskId: string; handle: WorkflowHandle }> {
  const taskId = uniqueName('fz');
  await stack.warming.apply({ tasks: [goodSpec(taskId)] });
  const handle = stack.temporal.workflow.getHandle(taskWorkflowId(taskId));
  await waitServed(
    `the first warm of ${taskId}`,
    async () => ((await statusOf(handle))?.warmCount ?? 0) >= 1,
    stack.temporal,
    () => [{ workflowId: handle.workflowId }],
  );
  return { taskId, handle };
}

/** `call` to `handle`'s workflow, given up after `ms` or once its workflow task fails (a wedged workflow never answers). */
function within<T>(handle: WorkflowHandle, ms: number, what: string, call: () => Promise<T>): Promise<T> {
  return answerOrWedged(stack.temporal, [{ workflowId: handle.workflowId }], ms, what, call);
}

/** The task's status, or undefined when it does not answer within 3 s. */
function statusOf(handle: WorkflowHandle): Promise<TaskStatus | undefined> {
  return within(handle, 3_000, 'status', () => handle.query<TaskStatus>('status')).catch(() => undefined);
}

const messageOf = (err: unknown) =>
  causeChain(err)
    .map((e) => e.message)
    .join(' <- ');

/** What is wrong with how an update answered: a rejection that is not the validator's line naming the field, or an acceptance of what the schema refuses. */
function updateProblem(
  message: TaskMessage & { kind: 'update' },
  sentPayload: unknown,
  outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
  prefix: string,
): string | undefined {
  const { sent } = message;
  if (!outcome.ok) {
    const { error } = outcome;
    if (!(error instanceof WorkflowUpdateFailedError))
      return `failed with ${messageOf(error)}, not a validator rejection`;
    const text = causeChain(error)
      .slice(1)
      .map((e) => e.message)
      .join(' ');
    if (/workflow task/i.test(text)) return `was answered "${text}" instead of a line naming the field`;
    const omitted = sent.change === 'removed' && sent.field?.length === 1 ? sent.field[0] : undefined;
    if (message.name === 'applyTask' && omitted !== undefined && DEFAULTED_FIELDS.has(omitted))
      return `was refused ("${clip(text, 200)}"), but ${omitted} has a default: a spec without it is valid`;
    const lineProblem = oneLineProblem(text);
    if (lineProblem) return lineProblem;
    if (sent.field && sent.change !== 'whole' && !namesField(text, sent.field))
      return `was rejected with "${clip(text, 200)}", which does not name ${sent.field.join('.')}`;
    return undefined;
  }
  if (message.name === 'applyTask') {
    // What the workflow received: the payload as JSON carries it.
    const parsed = taskSchema.safeParse(JSON.parse(JSON.stringify(sentPayload) ?? 'null'));
    if (!parsed.success)
      return `was accepted although the config schema refuses it (${parsed.error.issues[0]?.message})`;
    if (parsed.data.cacheKey.startsWith(prefix)) return `was accepted with a cache key under the reserved prefix`;
    const result = outcome.value as { changed?: unknown; fields?: unknown };
    if (typeof result?.changed !== 'boolean') return `answered ${describeValue(result)}, not an ApplyTaskResult`;
  } else {
    const result = outcome.value as { ok?: unknown };
    if (typeof result?.ok !== 'boolean') return `answered ${describeValue(result)}, not a warm outcome`;
  }
  return undefined;
}

async function sendAll(
  handle: WorkflowHandle,
  taskId: string,
  messages: TaskMessage[],
  prefix: string,
  sentKeys: unknown[],
) {
  const problems: string[] = [];
  for (const [i, message] of messages.entries()) {
    const label = `#${i} ${message.kind === 'query' ? 'status query' : message.kind === 'remove' ? 'remove' : message.name}`;
    try {
      if (message.kind === 'signal') {
        await handle.signal(message.name, forTask(message.sent.payload, taskId));
      } else if (message.kind === 'remove') {
        await handle.signal('remove', message.payload);
      } else if (message.kind === 'query') {
        const status = await within(handle, 10_000, label, () =>
          handle.query<TaskStatus, [unknown]>('status', message.payload),
        );
        if (typeof status?.taskId !== 'string') problems.push(`${label} answered ${describeValue(status)}`);
      } else {
        const payload = forTask(message.sent.payload, taskId);
        if (message.name === 'applyTask') sentKeys.push((payload as { cacheKey?: unknown } | null)?.cacheKey);
        const outcome = await within(handle, 15_000, label, () =>
          handle.executeUpdate(message.name, { args: [payload] }),
        ).then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        if (!outcome.ok && outcome.error instanceof NoAnswerError)
          problems.push(`${label} ${describeValue(message.sent.payload)}: ${outcome.error.message}`);
        else {
          const problem = updateProblem(message, payload, outcome, prefix);
          if (problem) problems.push(`${label} ${describeValue(message.sent.payload)} ${problem}`);
          // An applied spec shows what it does at its next warm: have it now.
          if (outcome.ok && message.name === 'applyTask')
            await within(handle, 15_000, `a warm after ${label}`, () =>
              handle.executeUpdate('warmNow', { args: [{ reason: 'fuzz: warm the applied spec' }] }),
            ).catch((err: unknown) =>
              problems.push(`${label} ${describeValue(payload)} was accepted, then: ${messageOf(err)}`),
            );
        }
      }
    } catch (err) {
      problems.push(`${label}: ${messageOf(err)}`);
    }
  }
  return problems;
}

test.each(ENTRIES)(
  'no payload sent through %s fails a task workflow, gets past its validators, or writes under the prefix',
  async (entry) => {
    const keys = redisKeys(stack.prefix);
    const message = taskMessages(stack.prefix)[entry] as fc.Arbitrary<TaskMessage>;
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 12 }), async (messages) => {
        const since = new Date();
        const { taskId, handle } = await startGoodTask();
        const sentKeys: unknown[] = [];
        const watch = async (): Promise<RunRef[]> => [
          { workflowId: handle.workflowId },
          ...(await runsOnQueues(stack.temporal, queues(), since)),
        ];
        try {
          const problems = await sendAll(handle, taskId, messages, stack.prefix, sentKeys);
          // A good input afterwards: the valid spec again, then a forced warm of it.
          try {
            await handle.signal('resume');
            await within(handle, 15_000, 'the good applyTask', () =>
              handle.executeUpdate('applyTask', { args: [goodSpec(taskId)] }),
            );
            const before = await statusOf(handle);
            await handle.signal('forceWarm', { reason: 'fuzz: the good input after the batch' });
            await waitServed(
              `a forced warm of ${taskId} after the batch`,
              async () => before !== undefined && ((await statusOf(handle))?.warmCount ?? 0) > before.warmCount,
              stack.temporal,
              watch,
            );
          } catch (err) {
            problems.push(`the good input after the batch was not served: ${messageOf(err)}`);
          }
          const runs = await watch();
          const failures = await workflowTaskFailures(stack.temporal, runs);
          for (const f of failures) problems.push(`a workflow task failed: ${f.cause}: ${clip(f.message)}`);
          problems.push(...(await prefixProblems(stack.redis, keys, sentKeys)));
          problems.push(...(await oversizedSummaries(stack.temporal, runs)).map((p) => `summary over the limit: ${p}`));
          if (problems.length > 0) throw new Error(problems.join('\n'));
        } finally {
          await handle.terminate('fuzz run over').catch(() => undefined);
        }
      }),
      serverFuzzOptions(3, 20_000, entry === 'the applyTask update' ? applyTaskExamples(stack.prefix) : []),
    );
  },
);

/** Inputs of a directly started warmTaskWorkflow: one change from a valid input, or wholly hostile. */
function startInputs(prefix: string): fc.Arbitrary<HostilePayload[]> {
  const valid: WarmTaskInput = { spec: goodSpec(TASK) as WarmTaskInput['spec'], queue: 'main' };
  const fields: FieldPath[] = [
    ['spec'],
    ...SPEC_FIELDS.map((path) => ['spec', ...path]),
    ['queue'],
    ['carried'],
    ['historyEventsLimit'],
  ];
  const values = (path: FieldPath) =>
    path[0] === 'spec' && path.length > 1 ? specValues(prefix)(path.slice(1)) : hostileValue(prefix);
  return fc.array(hostilePayload(valid, fields, prefix, values), { minLength: 1, maxLength: 8 });
}

/** How a directly started task ended up: refused (failed naming the field), or running and serving. */
async function startedTaskProblem(
  handle: WorkflowHandle,
  sent: HostilePayload,
  watch: () => Promise<RunRef[]>,
): Promise<string | undefined> {
  const deadline = Date.now() + 15_000;
  let closed = 'NO ANSWER: neither failed nor warmed within 15 s';
  while (Date.now() < deadline) {
    const failures = await workflowTaskFailures(stack.temporal, [{ workflowId: handle.workflowId }]);
    if (failures.length > 0) {
      closed = `WEDGED: a workflow task failed: ${failures[0]?.cause}: ${clip(failures[0]?.message ?? '')}`;
      break;
    }
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') {
      closed = status.name;
      break;
    }
    const s = await statusOf(handle);
    if (s && s.warmCount + s.failureCount >= 1) {
      closed = 'RUNNING';
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (closed.startsWith('WEDGED') || closed.startsWith('NO ANSWER')) return closed;
  if (closed === 'FAILED') {
    const error = await handle.result().then(
      () => undefined,
      (err: unknown) => err,
    );
    const failure = causeChain(error).find((e) => e instanceof ApplicationFailure);
    if (!(error instanceof WorkflowFailedError) || !failure)
      return `failed with ${messageOf(error)}, not an ApplicationFailure`;
    const omitted = sent.change === 'removed' && sent.field?.length === 2 ? sent.field[1] : undefined;
    if (sent.field?.[0] === 'spec' && omitted !== undefined && DEFAULTED_FIELDS.has(omitted))
      return `failed ("${clip(failure.message, 200)}"), but ${omitted} has a default: a spec without it is valid`;
    // `spec.cacheKey` is named as cacheKey (or spec.cacheKey), a whole `spec` as spec.
    const named = sent.field && sent.field.length > 1 ? sent.field.slice(1) : sent.field;
    if (named && sent.change !== 'whole' && !namesField(failure.message, named))
      return `failed with "${clip(failure.message, 200)}", which does not name ${named.join('.')}`;
    return oneLineProblem(failure.message);
  }
  if (closed !== 'RUNNING') return `ended ${closed} instead of running or failing`;
  const runs = await runsOf(stack.temporal, handle.workflowId);
  if (runs.length > 3) return `continued as new ${runs.length - 1} times without a reason`;
  // Running: it must still serve a forced warm.
  const before = await statusOf(handle);
  if (!before) return 'does not answer its status query';
  await handle.signal('forceWarm', { reason: 'fuzz: good input' });
  return waitServed(
    'a forced warm of the started task',
    async () => {
      const s = await statusOf(handle);
      return s !== undefined && s.warmCount + s.failureCount > before.warmCount + before.failureCount;
    },
    stack.temporal,
    watch,
    10_000,
  ).then(
    () => undefined,
    (err: unknown) => String(err instanceof Error ? err.message : err),
  );
}

test('a warmTaskWorkflow started directly with a hostile input fails naming the field or runs and serves, and writes nothing under the prefix', async () => {
  const keys = redisKeys(stack.prefix);
  await fc.assert(
    fc.asyncProperty(startInputs(stack.prefix), async (inputs) => {
      const problems: string[] = [];
      const handles: WorkflowHandle[] = [];
      const sentKeys: unknown[] = [];
      try {
        await Promise.all(
          inputs.map(async (sent, i) => {
            const taskId = uniqueName('fzs');
            const input = forTask(sent.payload, taskId);
            sentKeys.push((input as { spec?: { cacheKey?: unknown } } | null)?.spec?.cacheKey);
            let handle: WorkflowHandle;
            try {
              handle = await stack.temporal.workflow.start('warmTaskWorkflow', {
                workflowId: taskWorkflowId(taskId),
                taskQueue: stack.taskQueue,
                args: [input],
              });
            } catch (err) {
              return void problems.push(`#${i} could not be started: ${messageOf(err)}`);
            }
            handles.push(handle);
            const watch = async () => [{ workflowId: handle.workflowId }];
            const problem = await startedTaskProblem(handle, sent, watch);
            if (problem) problems.push(`#${i} ${describeValue(sent.payload)}: ${problem}`);
          }),
        );
        const runs = handles.map((h) => ({ workflowId: h.workflowId }));
        await expectNoWorkflowTaskFailures(stack.temporal, runs).catch((err: Error) => problems.push(err.message));
        problems.push(...(await prefixProblems(stack.redis, keys, sentKeys)));
        if (problems.length > 0) throw new Error(problems.join('\n'));
      } finally {
        await Promise.all(handles.map((h) => h.terminate('fuzz run over').catch(() => undefined)));
      }
    }),
    serverFuzzOptions(3, 30_000, [
      [
        [
          {
            payload: { spec: { ...goodSpec(TASK), cacheKey: `${stack.prefix}evil` }, queue: 'main' },
            field: ['spec', 'cacheKey'],
            change: 'set',
          },
        ],
      ],
    ]),
  );
});
