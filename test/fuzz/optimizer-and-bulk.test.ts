// Fuzz of the optimiser's and the bulk warm's boundaries: hostile payloads through the optimiser's
// signals (configApplied, pause, resume), update (runCycle) and query (status), hostile inputs to
// optimizerWorkflow and bulkWarmWorkflow started directly (a catalogue import is started by hand).
// After each batch: no workflow task failed, nothing but the product's layout under the prefix,
// the optimiser answers `status` and still runs a cycle; a bulk warm warms or fails naming the field.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { redisKeys } from '../../store/redis-keys';
import type { BulkWarmInput, BulkWarmResult, CycleReport, OptimizerState, OptimizerStatus } from '../../workflows';
import {
  answerOrWedged,
  causeChain,
  namesField,
  oneLineProblem,
  prefixProblems,
  runsOf,
  runsOnQueues,
  workflowTaskFailures,
} from '../helpers/boundary-checks';
import {
  clip,
  describeValue,
  hostileKeyText,
  hostilePayload,
  hostileValue,
  hugeArray,
  reservedText,
  serverFuzzOptions,
  type FieldPath,
  type HostilePayload,
} from '../helpers/hostile-inputs';
import { uniqueName } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(150_000);

const stack = useTestStack();
const origin = useTestOrigin({ '/task': () => ({ body: 'task value' }) });
/** This file's cache keys, outside the reserved prefix. */
const ns = uniqueName('fz-opt');

beforeAll(async () => {
  origin.routeUnder('/b/', (request) => ({ body: `bulk ${request.url}` }));
  await stack.warming.apply({
    tasks: [
      {
        taskId: uniqueName('fz-opt-task'),
        cacheKey: `${ns}:task`,
        loader: { type: 'http', url: `${origin.url}/task` },
        ttlSeconds: 600,
        intervalMinutes: 600,
      },
    ],
    optimizer: { everyMinutes: 600 },
  });
});

const messageOf = (err: unknown) =>
  causeChain(err)
    .map((e) => e.message)
    .join(' <- ');

function problemsOf(failures: Awaited<ReturnType<typeof workflowTaskFailures>>): string[] {
  return failures.map(
    (f) => `a workflow task of ${describeValue(f.workflowId, 80)} failed: ${f.cause}: ${clip(f.message)}`,
  );
}

/** A run of the optimiser of its own, so each batch is judged on its own. */
async function startOptimizer(input: unknown = {}): Promise<WorkflowHandle> {
  return stack.temporal.workflow.start('optimizerWorkflow', {
    workflowId: uniqueName('fz-optimizer'),
    taskQueue: stack.taskQueue,
    args: [input],
  });
}

/** The optimiser still serves: a runCycle update returns the next cycle's report, and `status` answers. */
async function optimizerServes(handle: WorkflowHandle): Promise<string | undefined> {
  const runs = [{ workflowId: handle.workflowId }];
  try {
    const before = await answerOrWedged(stack.temporal, runs, 10_000, 'status', () =>
      handle.query<OptimizerStatus>('status'),
    );
    await handle.signal('resume');
    const report = await answerOrWedged(stack.temporal, runs, 20_000, 'runCycle', () =>
      handle.executeUpdate<CycleReport, []>('runCycle'),
    );
    if (typeof report?.cycle !== 'number' || report.cycle <= before.cycles)
      return `runCycle answered ${describeValue(report)} after ${before.cycles} cycles`;
    return undefined;
  } catch (err) {
    return `the optimiser no longer serves: ${messageOf(err)}`;
  }
}

type OptimizerMessage =
  | { kind: 'signal'; name: 'configApplied' | 'pause' | 'resume'; payload: unknown }
  | { kind: 'runCycle'; payload: unknown }
  | { kind: 'status'; payload: unknown };

function optimizerMessage(prefix: string): fc.Arbitrary<OptimizerMessage> {
  return fc.oneof(
    fc.record({
      kind: fc.constant('signal' as const),
      name: fc.constantFrom('configApplied' as const, 'pause' as const, 'resume' as const),
      payload: hostileValue(prefix),
    }),
    fc.record({ kind: fc.constant('runCycle' as const), payload: hostileValue(prefix) }),
    fc.record({ kind: fc.constant('status' as const), payload: hostileValue(prefix) }),
  );
}

test('no payload sent through the optimiser signals, runCycle or status fails the optimiser or stops it running cycles', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(optimizerMessage(stack.prefix), { minLength: 1, maxLength: 10 }), async (messages) => {
      const handle = await startOptimizer();
      const runs = [{ workflowId: handle.workflowId }];
      const problems: string[] = [];
      try {
        for (const [i, message] of messages.entries()) {
          try {
            if (message.kind === 'signal') await handle.signal(message.name, message.payload);
            else if (message.kind === 'status') {
              const status = await answerOrWedged(stack.temporal, runs, 10_000, 'status', () =>
                handle.query<OptimizerStatus, [unknown]>('status', message.payload),
              );
              if (typeof status?.cycles !== 'number') problems.push(`#${i} status answered ${describeValue(status)}`);
            } else {
              const report = await answerOrWedged(stack.temporal, runs, 20_000, 'runCycle', () =>
                handle.executeUpdate<CycleReport, [unknown]>('runCycle', { args: [message.payload] }),
              );
              if (typeof report?.cycle !== 'number') problems.push(`#${i} runCycle answered ${describeValue(report)}`);
            }
          } catch (err) {
            problems.push(`#${i} ${message.kind} ${describeValue(message.payload)}: ${messageOf(err)}`);
          }
        }
        const serving = await optimizerServes(handle);
        if (serving) problems.push(serving);
        problems.push(
          ...problemsOf(await workflowTaskFailures(stack.temporal, await runsOf(stack.temporal, handle.workflowId))),
        );
        problems.push(...(await prefixProblems(stack.redis, redisKeys(stack.prefix))));
        if (problems.length > 0) throw new Error([...new Set(problems)].join('\n'));
      } finally {
        await handle.terminate('fuzz run over').catch(() => undefined);
      }
    }),
    serverFuzzOptions(3, 20_000),
  );
});

const VALID_OPTIMIZER_STATE: OptimizerState = {
  paused: false,
  cycles: 2,
  everyMinutes: 600,
  nextCycleAtMs: null,
  lastCycle: null,
  since: '2026-01-01T00:00:00.000Z',
  generation: 1,
};

test('an optimizerWorkflow started directly with a hostile input ignores the bad parts and runs its cycles', async () => {
  const fields: FieldPath[] = [
    ['carried'],
    ['carried', 'paused'],
    ['carried', 'cycles'],
    ['carried', 'everyMinutes'],
    ['carried', 'nextCycleAtMs'],
    ['carried', 'lastCycle'],
    ['carried', 'since'],
    ['historyEventsLimit'],
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.array(hostilePayload({ carried: VALID_OPTIMIZER_STATE, historyEventsLimit: 10_000 }, fields, stack.prefix), {
        minLength: 1,
        maxLength: 4,
      }),
      async (inputs) => {
        const problems: string[] = [];
        const handles: WorkflowHandle[] = [];
        try {
          for (const [i, sent] of inputs.entries()) {
            const handle = await startOptimizer(sent.payload);
            handles.push(handle);
            const serving = await optimizerServes(handle);
            const runs = await runsOf(stack.temporal, handle.workflowId);
            if (serving) problems.push(`#${i} ${describeValue(sent.payload)}: ${serving}`);
            // An optimiser continues as new when its history is large, never after a handful of events.
            const early = runs.filter(
              (run) => run.status.name === 'CONTINUED_AS_NEW' && (run.historyLength ?? 0) < 100,
            );
            if (early.length > 0)
              problems.push(
                `#${i} ${describeValue(sent.payload)}: ${early.length} run(s) continued as new after ${early.map((r) => r.historyLength).join(', ')} events`,
              );
            problems.push(...problemsOf(await workflowTaskFailures(stack.temporal, runs)).map((p) => `#${i} ${p}`));
          }
          if (problems.length > 0) throw new Error([...new Set(problems)].join('\n'));
        } finally {
          await Promise.all(handles.map((h) => h.terminate('fuzz run over').catch(() => undefined)));
        }
      },
    ),
    serverFuzzOptions(3, 20_000, [
      [[{ payload: { carried: 'not a state', historyEventsLimit: 10_000 }, field: ['carried'], change: 'set' }]],
      [
        [
          {
            payload: { carried: VALID_OPTIMIZER_STATE, historyEventsLimit: 0 },
            field: ['historyEventsLimit'],
            change: 'set',
          },
        ],
      ],
    ]),
  );
});

/** A bulk warm's input: three keys of one template, from this file's origin. */
function validBulk(): BulkWarmInput {
  return {
    template: {
      key: `${ns}:b:{id}`,
      loader: { type: 'http', url: `${origin.url}/b/{id}` },
      ttlSeconds: 60,
      tags: ['bulk'],
    },
    idRange: { from: 0, to: 3 },
  };
}

function bulkValues(prefix: string) {
  return (path: FieldPath): fc.Arbitrary<unknown> => {
    const last = path[path.length - 1];
    if (last === 'key')
      return fc.oneof(
        fc.constantFrom(`${prefix}{id}`, '{id}', `${prefix}config`, `${ns}:b:{id}:{other}`, `${ns}:b:`),
        reservedText(prefix),
        hostileKeyText(prefix),
      );
    if (last === 'vars')
      return fc.oneof(
        fc.constantFrom([{ id: `${prefix}config` }], [{ id: '__proto__' }], [{ id: '' }], [{ id: 42 }], [null], [[]]),
        fc.array(fc.record({ id: hostileKeyText(prefix) }), { maxLength: 5 }),
        hugeArray,
        hostileValue(prefix),
      );
    if (last === 'to' || last === 'from')
      return fc.oneof(fc.constantFrom(1e9, -1e9, 2 ** 53, 3.5, Number.NaN, -1), hostileValue(prefix));
    if (last === 'batchSize' || last === 'parallelBatches')
      return fc.oneof(fc.constantFrom(0, -1, 0.5, 1e9), hostileValue(prefix));
    return hostileValue(prefix);
  };
}

const BULK_FIELDS: FieldPath[] = [
  ['template'],
  ['template', 'key'],
  ['template', 'loader'],
  ['template', 'loader', 'url'],
  ['template', 'ttlSeconds'],
  ['template', 'tags'],
  ['idRange'],
  ['idRange', 'from'],
  ['idRange', 'to'],
  ['vars'],
  ['batchSize'],
  ['parallelBatches'],
];

/** Whether a bulk warm ended acceptably: all its keys warmed, or failed naming the field. */
async function bulkProblem(handle: WorkflowHandle, sent: HostilePayload): Promise<string | undefined> {
  const outcome = await answerOrWedged(
    stack.temporal,
    [{ workflowId: handle.workflowId }],
    25_000,
    'the bulk warm',
    () => handle.result(),
  ).then(
    (result: BulkWarmResult) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) {
    const { result } = outcome;
    // A key a var makes unservable is that key's fault: counted, while the rest are warmed. A bad
    // template, loader or option is the whole input's: it fails naming the field.
    const perKey = sent.field?.[0] === 'vars' || sent.field?.[0] === 'idRange';
    if (result.failed > 0 && !perKey)
      return `completed with ${result.failed} of ${result.keys} keys failed instead of failing naming the field`;
    if (result.keys > 0 && result.warmed + result.superseded + result.failed !== result.keys)
      return `completed having warmed ${result.warmed + result.superseded} of ${result.keys} keys`;
    return undefined;
  }
  const { error } = outcome;
  const failure = causeChain(error).find((e) => e instanceof ApplicationFailure);
  if (!(error instanceof WorkflowFailedError) || !failure)
    return `ended with ${messageOf(error)}, not an ApplicationFailure`;
  if (sent.field && sent.change !== 'whole' && !namesField(failure.message, sent.field))
    return `failed with "${clip(failure.message, 200)}", which does not name ${sent.field.join('.')}`;
  return oneLineProblem(failure.message);
}

test('a bulkWarmWorkflow started directly with a hostile input warms its keys or fails naming the field, and writes nothing under the prefix', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(hostilePayload(validBulk(), BULK_FIELDS, stack.prefix, bulkValues(stack.prefix)), {
        minLength: 1,
        maxLength: 6,
      }),
      async (inputs) => {
        const since = new Date();
        const problems: string[] = [];
        const handles: WorkflowHandle[] = [];
        try {
          await Promise.all(
            inputs.map(async (sent, i) => {
              const handle = await stack.temporal.workflow.start('bulkWarmWorkflow', {
                workflowId: uniqueName('fz-bulk'),
                taskQueue: stack.taskQueue,
                args: [sent.payload],
              });
              handles.push(handle);
              const problem = await bulkProblem(handle, sent);
              if (problem) problems.push(`#${i} ${describeValue(sent.payload)}: ${problem}`);
            }),
          );
          const runs = await runsOnQueues(stack.temporal, [stack.taskQueue], since);
          problems.push(...problemsOf(await workflowTaskFailures(stack.temporal, runs)));
          problems.push(...(await prefixProblems(stack.redis, redisKeys(stack.prefix), [`${stack.prefix}config`])));
          if (problems.length > 0) throw new Error([...new Set(problems)].join('\n'));
        } finally {
          await Promise.all(handles.map((h) => h.terminate('fuzz run over').catch(() => undefined)));
        }
      },
    ),
    serverFuzzOptions(3, 25_000, [
      [
        [
          {
            payload: {
              ...validBulk(),
              idRange: undefined,
              template: { ...validBulk().template, key: '{id}' },
              vars: [{ id: `${stack.prefix}config` }],
            },
            field: ['vars'],
            change: 'set',
          },
        ],
      ],
      [[{ payload: { ...validBulk(), batchSize: 0 }, field: ['batchSize'], change: 'set' }]],
      [[{ payload: { ...validBulk(), idRange: { from: 0, to: 1e9 } }, field: ['idRange', 'to'], change: 'set' }]],
    ]),
  );
});
