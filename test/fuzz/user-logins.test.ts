// Fuzz of the login side's boundary: hostile user ids through notifyUserLoggedIn (the auth
// service's call), hostile userLoggedIn payloads through the same signal-with-start from any other
// sender, hostile preloadSettings signals and status/user queries to the login shards, and hostile
// inputs to userLoginsWorkflow and preloadUserWorkflow started directly; the release 0.1 per-user
// session too. After each batch: no workflow task failed, nothing but the product's layout under
// the prefix, summaries within Temporal's limit, every shard answers and still preloads later users.
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { loginShardOf, loginShardWorkflowId, notifyUserLoggedIn } from '../../client/notify-user-logged-in';
import { userIdProblem, userLoggedInProblem } from '../../core/user-login';
import { redisKeys } from '../../store/redis-keys';
import {
  userLoggedInSignal,
  userLoginsWorkflow,
  userLoginsWorkflowId,
  userSessionWorkflow,
  userSessionWorkflowId,
  type CarriedUserLoginsState,
  type PreloadUserResult,
  type UserLoginsStatus,
  type UserPreloadStatus,
  type UserSessionStatus,
} from '../../workflows';
import {
  answerOrWedged,
  causeChain,
  namesField,
  oneLineProblem,
  oversizedSummaries,
  prefixProblems,
  runsOnQueues,
  stopLoginShards,
  waitServed,
  workflowTaskFailures,
  type RunRef,
} from '../helpers/boundary-checks';
import {
  clip,
  describeValue,
  hostileKeyText,
  hostilePayload,
  hostileUserId,
  hostileValue,
  reservedText,
  serverFuzzOptions,
  type FieldPath,
  type HostilePayload,
} from '../helpers/hostile-inputs';
import { uniqueName } from '../helpers/test-env';
import { useTestOrigin, useTestStack } from '../helpers/use-test-stack';

jest.setTimeout(150_000);

const stack = useTestStack({
  loaders: {
    async fuzzNavigation(_args, context) {
      return { visited: [`/home/${context.vars.userId ?? ''}`] };
    },
  },
});
const origin = useTestOrigin();
/** This file's user keys, outside the reserved prefix. */
const ns = uniqueName('fz-user');
const SHARDS = 4;
/** Stands for the run's own good user in generated payloads. */
const USER = 'fuzz-user';
/** What the client sends as the shard's summary (client/notify-user-logged-in.ts). */
const SHARD_SUMMARY = 'Receives logins of one shard of users and starts a preload child per login';

const sessionKey = (userId: string) => `${ns}:u:${userId}:s`;

beforeAll(async () => {
  // The session source over HTTP, so user ids go through a URL template as well as a key template.
  origin.routeUnder('/users/', (request) => ({ body: JSON.stringify({ session: request.url }) }));
  await stack.warming.apply({
    tasks: [],
    userPreload: {
      session: {
        loader: { type: 'http', url: `${origin.url}/users/{userId}/session` },
        key: `${ns}:u:{userId}:s`,
        ttlSeconds: 600,
      },
      navigation: { loader: { type: 'custom', name: 'fuzzNavigation' }, key: `${ns}:u:{userId}:n`, ttlSeconds: 600 },
      skipIfWarmedWithinMinutes: 0,
    },
  });
});

const keys = () => redisKeys(stack.prefix);

/** A fresh, well-formed user id whose logins go to `shard`. */
function goodUserOf(shard: number): string {
  for (;;) {
    const userId = `good-${randomBytes(4).toString('hex')}`;
    if (loginShardOf(userId, SHARDS) === shard) return userId;
  }
}

/** Every login shard of the queue stopped, so a run starts with fresh shards and is judged on its own. */
const stopShards = () => stopLoginShards(stack.temporal, stack.taskQueue);

const runsSince = (since: Date) => () => runsOnQueues(stack.temporal, [stack.taskQueue], since);

/** The user in the shard that holds it (the `user` query), or undefined when the shard does not answer. */
async function userIn(workflowId: string, userId: unknown): Promise<UserPreloadStatus | null | undefined> {
  const handle = stack.temporal.workflow.getHandle(workflowId);
  return answerOrWedged(stack.temporal, [{ workflowId }], 3_000, 'user query', () =>
    handle.query<UserPreloadStatus | null, [unknown]>('user', userId),
  ).catch(() => undefined);
}

/**
 * Waits until `userId` is preloaded by the shard `workflowId`: its last preload completed with
 * every source. A preload that finished with a failure is reported at once.
 */
function preloadedBy(workflowId: string, userId: string, watch: () => Promise<RunRef[]>): Promise<UserPreloadStatus> {
  return waitServed(
    `the preload of ${describeValue(userId, 60)}`,
    async () => {
      const user = await userIn(workflowId, userId);
      if (!user) return undefined;
      if (user.state === 'idle' && user.lastResult && !user.lastResult.ok)
        throw new Error(`its preload failed: ${clip(user.lastError ?? '')}`);
      return user.state === 'idle' && user.lastCompleteAt !== null ? user : undefined;
    },
    stack.temporal,
    watch,
  ).catch((err: unknown) => {
    throw new Error(
      `${describeValue(userId, 80)} was accepted but not preloaded: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
}

/** The checks after every batch: later users of every shard preloaded, no task failed, the prefix and summaries held. */
async function afterBatch(since: Date, sentKeys: unknown[] = []): Promise<string[]> {
  const problems: string[] = [];
  const watch = runsSince(since);
  const good = Array.from({ length: SHARDS }, (_, shard) => goodUserOf(shard));
  for (const userId of good)
    await notifyUserLoggedIn(stack.temporal, userId, { taskQueue: stack.taskQueue, shards: SHARDS });
  for (const userId of good) {
    await waitServed(
      `a later user of shard ${loginShardOf(userId, SHARDS)}`,
      async () => (await stack.redis.exists(sessionKey(userId))) === 1,
      stack.temporal,
      watch,
    ).catch((err: unknown) => problems.push(err instanceof Error ? err.message : String(err)));
  }
  const runs = await watch();
  for (const f of await workflowTaskFailures(stack.temporal, runs))
    problems.push(`a workflow task of ${describeValue(f.workflowId, 80)} failed: ${f.cause}: ${clip(f.message)}`);
  problems.push(...(await prefixProblems(stack.redis, keys(), sentKeys)));
  problems.push(...(await oversizedSummaries(stack.temporal, runs)).map((p) => `summary over the limit: ${p}`));
  return [...new Set(problems)];
}

function fail(problems: string[]): void {
  if (problems.length > 0) throw new Error(problems.join('\n'));
}

interface Login {
  userId: unknown;
  force?: unknown;
  preloadForms?: unknown;
}

function logins(prefix: string): fc.Arbitrary<Login[]> {
  const flag = fc.option(fc.oneof(fc.boolean(), hostileValue(prefix)), { nil: undefined });
  return fc.array(
    fc.record({ userId: hostileUserId(prefix), force: flag, preloadForms: flag }, { requiredKeys: ['userId'] }),
    {
      minLength: 1,
      maxLength: 8,
    },
  );
}

test('notifyUserLoggedIn preloads every user id it accepts or refuses it with one line naming it, and no login stops its shard', async () => {
  await fc.assert(
    fc.asyncProperty(logins(stack.prefix), async (batch) => {
      await stopShards();
      const since = new Date();
      const problems: string[] = [];
      const accepted: string[] = [];
      for (const login of batch) {
        try {
          await notifyUserLoggedIn(stack.temporal, login.userId as string, {
            ...(login.force !== undefined ? { force: login.force as boolean } : {}),
            ...(login.preloadForms !== undefined ? { preloadForms: login.preloadForms as boolean } : {}),
            taskQueue: stack.taskQueue,
            shards: SHARDS,
          });
          accepted.push(login.userId as string);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          const problem =
            oneLineProblem(message) ??
            (/userId|force|preloadForms/.test(message) ? undefined : `"${clip(message, 200)}" names no field`);
          if (problem) problems.push(`the refusal of ${describeValue(login)}: ${problem}`);
        }
      }
      const watch = runsSince(since);
      for (const userId of new Set(accepted)) {
        await preloadedBy(loginShardWorkflowId(stack.taskQueue, userId, SHARDS), userId, watch).catch((err: Error) =>
          problems.push(err.message),
        );
      }
      problems.push(...(await afterBatch(since, accepted.map(sessionKey))));
      fail(problems);
    }),
    serverFuzzOptions(3, 25_000, [[[{ userId: 'a'.repeat(250) }]], [[{ userId: '界'.repeat(200) }]]]),
  );
});

/** The run's own user in place of USER, so runs never share a user. */
function forRun(payload: unknown, userId: string): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  const record = payload as Record<string, unknown>;
  return record.userId === USER ? { ...record, userId } : payload;
}

type ShardMessage =
  | { kind: 'userLoggedIn'; sent: HostilePayload }
  | { kind: 'preloadSettings'; sent: HostilePayload }
  | { kind: 'status'; payload: unknown }
  | { kind: 'user'; payload: unknown };

const SHARD_ENTRIES = [
  'userLoggedIn through signal-with-start (any sender)',
  'the preloadSettings signal',
  'the status query',
  'the user query',
] as const;

function shardMessage(entry: (typeof SHARD_ENTRIES)[number], prefix: string): fc.Arbitrary<ShardMessage> {
  const userValues = (path: FieldPath) => (path[0] === 'userId' ? hostileUserId(prefix) : hostileValue(prefix));
  switch (entry) {
    case 'userLoggedIn through signal-with-start (any sender)':
      return hostilePayload(
        { userId: USER, force: false, preloadForms: true },
        [['userId'], ['force'], ['preloadForms']],
        prefix,
        userValues,
      ).map((sent): ShardMessage => ({ kind: 'userLoggedIn', sent }));
    case 'the preloadSettings signal':
      return hostilePayload({ skipIfWarmedWithinMinutes: 0 }, [['skipIfWarmedWithinMinutes']], prefix).map(
        (sent): ShardMessage => ({ kind: 'preloadSettings', sent }),
      );
    case 'the status query':
      return hostileValue(prefix).map((payload): ShardMessage => ({ kind: 'status', payload }));
    case 'the user query':
      return hostileUserId(prefix).map((payload): ShardMessage => ({ kind: 'user', payload }));
  }
}

test.each(SHARD_ENTRIES)(
  'no payload sent through %s fails a login shard or stops it serving its users',
  async (entry) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(shardMessage(entry, stack.prefix), { minLength: 1, maxLength: 10 }),
        async (messages) => {
          await stopShards();
          const since = new Date();
          const problems: string[] = [];
          const runUser = `fz-${randomBytes(4).toString('hex')}`;
          // Signals per shard, and the well-formed logins among them (by the rule the client checks).
          const sent = new Map<string, { signals: number; wellFormed: string[] }>();
          const shardFor = (payload: unknown) => {
            const userId = (payload as { userId?: unknown } | null)?.userId;
            return loginShardWorkflowId(stack.taskQueue, typeof userId === 'string' ? userId : runUser, SHARDS);
          };
          for (const [i, message] of messages.entries()) {
            try {
              if (message.kind === 'userLoggedIn') {
                const payload = forRun(message.sent.payload, runUser);
                const workflowId = shardFor(payload);
                await stack.temporal.workflow.signalWithStart(userLoginsWorkflow, {
                  workflowId,
                  taskQueue: stack.taskQueue,
                  args: [{}],
                  signal: userLoggedInSignal,
                  signalArgs: [payload as never],
                  staticSummary: SHARD_SUMMARY,
                });
                const entryFor = sent.get(workflowId) ?? { signals: 0, wellFormed: [] };
                entryFor.signals++;
                const received = JSON.parse(JSON.stringify(payload) ?? 'null') as unknown;
                if (userLoggedInProblem(received) === undefined)
                  entryFor.wellFormed.push((received as { userId: string }).userId);
                sent.set(workflowId, entryFor);
              } else {
                // Settings and queries go to a running shard of the run's user.
                const workflowId = loginShardWorkflowId(stack.taskQueue, runUser, SHARDS);
                await notifyUserLoggedIn(stack.temporal, runUser, { taskQueue: stack.taskQueue, shards: SHARDS });
                const handle = stack.temporal.workflow.getHandle(workflowId);
                const within = <T>(what: string, call: () => Promise<T>) =>
                  answerOrWedged(stack.temporal, [{ workflowId }], 10_000, what, call);
                if (message.kind === 'preloadSettings') {
                  await handle.signal('preloadSettings', message.sent.payload);
                } else if (message.kind === 'status') {
                  const status = await within('status query', () =>
                    handle.query<UserLoginsStatus, [unknown]>('status', message.payload),
                  );
                  if (typeof status?.logins !== 'number')
                    problems.push(`#${i} status answered ${describeValue(status)}`);
                } else {
                  const user = await within('user query', () =>
                    handle.query<UserPreloadStatus | null, [unknown]>('user', message.payload),
                  );
                  if (user !== null && (typeof user !== 'object' || user.userId !== message.payload))
                    problems.push(
                      `#${i} user query of ${describeValue(message.payload)} answered ${describeValue(user)}`,
                    );
                }
              }
            } catch (err) {
              problems.push(
                `#${i} ${message.kind}: ${causeChain(err)
                  .map((e) => e.message)
                  .join(' <- ')}`,
              );
            }
          }
          const watch = runsSince(since);
          for (const [workflowId, { signals, wellFormed }] of sent) {
            // Every signal is counted once: a login served, or a malformed one rejected.
            const status = await waitServed(
              `the ${signals} signals to ${workflowId} counted`,
              async () => {
                const s = await answerOrWedged(stack.temporal, [{ workflowId }], 3_000, 'status', () =>
                  stack.temporal.workflow.getHandle(workflowId).query<UserLoginsStatus>('status'),
                );
                return s.logins + s.rejected >= signals ? s : undefined;
              },
              stack.temporal,
              watch,
            ).catch((err: Error) => void problems.push(err.message));
            if (status && status.logins > wellFormed.length)
              problems.push(
                `${workflowId} counted ${status.logins} logins of ${wellFormed.length} well-formed signals`,
              );
            for (const userId of new Set(wellFormed)) {
              const user = await userIn(workflowId, userId);
              if (user === null) continue; // refused, and counted as rejected
              await preloadedBy(workflowId, userId, watch).catch((err: Error) => problems.push(err.message));
            }
          }
          problems.push(...(await afterBatch(since)));
          fail(problems);
        },
      ),
      serverFuzzOptions(
        3,
        20_000,
        entry === 'userLoggedIn through signal-with-start (any sender)'
          ? [
              [
                [
                  {
                    kind: 'userLoggedIn',
                    sent: { payload: { userId: '界'.repeat(200) }, field: ['userId'], change: 'set' },
                  },
                ],
              ],
            ]
          : [],
      ),
    );
  },
);

/** A carried state a shard could have written: the shape of release 0.2. */
const VALID_CARRIED: CarriedUserLoginsState = {
  version: 1,
  logins: 3,
  preloads: 2,
  failedPreloads: 0,
  skipped: 1,
  coalesced: 0,
  rejected: 0,
  lastRejection: null,
  skipMs: 0,
  users: [['carried-user', null, Date.UTC(2026, 0, 1), 0]],
  since: '2026-01-01T00:00:00.000Z',
  generation: 1,
};

async function closedStatus(handle: WorkflowHandle): Promise<string> {
  return (await handle.describe()).status.name;
}

test('a userLoginsWorkflow started directly with a hostile input ignores the bad parts and serves its logins', async () => {
  const fields: FieldPath[] = [
    ['carried'],
    ['carried', 'users'],
    ['carried', 'logins'],
    ['carried', 'skipMs'],
    ['carried', 'lastRejection'],
    ['carried', 'since'],
    ['historyEventsLimit'],
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.array(hostilePayload({ carried: VALID_CARRIED, historyEventsLimit: 10_000 }, fields, stack.prefix), {
        minLength: 1,
        maxLength: 4,
      }),
      async (inputs) => {
        const since = new Date();
        const problems: string[] = [];
        const handles: WorkflowHandle[] = [];
        try {
          for (const [i, sent] of inputs.entries()) {
            const workflowId = userLoginsWorkflowId(stack.taskQueue, SHARDS + 1 + Math.floor(Math.random() * 1e6));
            const userId = `fz-${randomBytes(4).toString('hex')}`;
            const handle = await stack.temporal.workflow.signalWithStart('userLoginsWorkflow', {
              workflowId,
              taskQueue: stack.taskQueue,
              args: [sent.payload],
              signal: 'userLoggedIn',
              signalArgs: [{ userId }],
            });
            handles.push(handle);
            const watch = async () => [{ workflowId }];
            await preloadedBy(workflowId, userId, watch).catch(async (err: Error) =>
              problems.push(`#${i} ${describeValue(sent.payload)} (now ${await closedStatus(handle)}): ${err.message}`),
            );
          }
          for (const f of await workflowTaskFailures(stack.temporal, await runsSince(since)()))
            problems.push(
              `a workflow task of ${describeValue(f.workflowId, 80)} failed: ${f.cause}: ${clip(f.message)}`,
            );
          fail([...new Set(problems)]);
        } finally {
          await Promise.all(handles.map((h) => h.terminate('fuzz run over').catch(() => undefined)));
        }
      },
    ),
    serverFuzzOptions(3, 20_000, [
      [[{ payload: { carried: VALID_CARRIED, historyEventsLimit: 0 }, field: ['historyEventsLimit'], change: 'set' }]],
    ]),
  );
});

/** Whether a preload that ended this way is acceptable: it preloaded, or it failed naming the field. */
async function preloadOutcomeProblem(handle: WorkflowHandle, sent: HostilePayload): Promise<string | undefined> {
  const outcome = await answerOrWedged(stack.temporal, [{ workflowId: handle.workflowId }], 20_000, 'the preload', () =>
    handle.result(),
  ).then(
    (result: PreloadUserResult) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) {
    const { result } = outcome;
    if (result.ok) return undefined;
    return `completed without preloading (${clip(result.error ?? `sources failed: ${result.failed.join(', ')}`, 200)}) instead of failing naming the field`;
  }
  const { error } = outcome;
  const failure = causeChain(error).find((e) => e instanceof ApplicationFailure);
  if (!(error instanceof WorkflowFailedError) || !failure)
    return `ended with ${causeChain(error)
      .map((e) => e.message)
      .join(' <- ')}, not an ApplicationFailure`;
  if (sent.field && sent.change !== 'whole' && !namesField(failure.message, sent.field))
    return `failed with "${clip(failure.message, 200)}", which does not name ${sent.field.join('.')}`;
  return oneLineProblem(failure.message);
}

test('a preloadUserWorkflow started directly with a hostile input preloads or fails naming the field, and writes nothing under the prefix', async () => {
  const prefix = () => stack.prefix;
  const settings = (key: string) => ({
    session: { loader: { type: 'custom', name: 'fuzzNavigation' }, key, ttlSeconds: 60 },
  });
  const fields: FieldPath[] = [['userId'], ['preloadForms'], ['force'], ['settings'], ['reservedPrefix']];
  const values = (path: FieldPath): fc.Arbitrary<unknown> => {
    if (path[0] === 'userId') return hostileUserId(prefix());
    if (path[0] === 'settings')
      return fc.oneof(
        fc.oneof(reservedText(prefix()), hostileKeyText(prefix())).map((key) => settings(key)),
        fc
          .constantFrom(`${prefix()}{userId}`, `${prefix()}config`, `${prefix()}meta:{{userId}}:{userId}`)
          .map((key) => settings(key)),
        hostileValue(prefix()),
      );
    if (path[0] === 'reservedPrefix') return fc.oneof(fc.constant(''), hostileValue(prefix()));
    return hostileValue(prefix());
  };
  await fc.assert(
    fc.asyncProperty(
      fc.array(hostilePayload({ userId: USER, preloadForms: true, force: false }, fields, stack.prefix, values), {
        minLength: 1,
        maxLength: 6,
      }),
      async (inputs) => {
        const since = new Date();
        const problems: string[] = [];
        const sentKeys: unknown[] = [];
        await Promise.all(
          inputs.map(async (sent, i) => {
            const payload = forRun(sent.payload, `fz-${randomBytes(4).toString('hex')}`);
            const key = (payload as { settings?: { session?: { key?: unknown } } } | null)?.settings?.session?.key;
            const userId = (payload as { userId?: unknown } | null)?.userId;
            if (typeof key === 'string' && typeof userId === 'string')
              sentKeys.push(key.replaceAll('{userId}', userId), key);
            const handle = await stack.temporal.workflow.start('preloadUserWorkflow', {
              workflowId: uniqueName('preload-user:fuzz'),
              taskQueue: stack.taskQueue,
              args: [payload],
            });
            const problem = await preloadOutcomeProblem(handle, sent);
            if (problem) problems.push(`#${i} ${describeValue(sent.payload)}: ${problem}`);
          }),
        );
        for (const f of await workflowTaskFailures(stack.temporal, await runsSince(since)()))
          problems.push(`a workflow task of ${describeValue(f.workflowId, 80)} failed: ${f.cause}: ${clip(f.message)}`);
        problems.push(...(await prefixProblems(stack.redis, keys(), sentKeys)));
        fail([...new Set(problems)]);
      },
    ),
    serverFuzzOptions(3, 20_000, [
      [
        [
          {
            payload: {
              userId: USER,
              preloadForms: true,
              force: false,
              settings: settings(`${stack.prefix}config`),
              reservedPrefix: '',
            },
            field: ['settings'],
            change: 'set',
          },
        ],
      ],
    ]),
  );
});

test('the release 0.1 login call with a hostile user id or payload never fails its session workflow, which still serves its user', async () => {
  const sent = fc.array(
    fc.record({
      userId: hostileUserId(stack.prefix),
      payload: hostilePayload({ userId: USER, force: false }, [['userId'], ['force'], ['preloadForms']], stack.prefix),
    }),
    { minLength: 1, maxLength: 5 },
  );
  await fc.assert(
    fc.asyncProperty(sent, async (batch) => {
      const since = new Date();
      const problems: string[] = [];
      for (const [i, { userId, payload }] of batch.entries()) {
        // The user of the session: the generated id if it is a string, else a good one.
        const sessionUser =
          typeof userId === 'string' && userId !== '' ? userId : `fz-${randomBytes(4).toString('hex')}`;
        const workflowId = userSessionWorkflowId(sessionUser);
        try {
          await stack.temporal.workflow.signalWithStart(userSessionWorkflow, {
            workflowId,
            taskQueue: stack.taskQueue,
            args: [{ userId: sessionUser }],
            signal: userLoggedInSignal,
            signalArgs: [forRun(payload.payload, sessionUser) as never],
          });
        } catch {
          continue; // refused by Temporal (an id over its limit): the sender is told, nothing runs
        }
        // A good login of the session's own user afterwards.
        await stack.temporal.workflow.signalWithStart(userSessionWorkflow, {
          workflowId,
          taskQueue: stack.taskQueue,
          args: [{ userId: sessionUser }],
          signal: userLoggedInSignal,
          signalArgs: [{ userId: sessionUser, force: true }],
        });
        const handle = stack.temporal.workflow.getHandle(workflowId);
        const what = `#${i} ${describeValue({ userId, payload: payload.payload })}`;
        if (userIdProblem(sessionUser) !== undefined) {
          // A user the login API refuses: the session fails at once, naming the user id.
          const error = await answerOrWedged(stack.temporal, [{ workflowId }], 10_000, 'the session', () =>
            handle.result(),
          ).then(
            () => undefined,
            (err: unknown) => err,
          );
          const failure = causeChain(error).find((e) => e instanceof ApplicationFailure);
          if (!failure || !/userId/.test(failure.message))
            problems.push(
              `${what}: the session of an invalid user ended with ${
                causeChain(error)
                  .map((e) => e.message)
                  .join(' <- ') || 'success'
              }`,
            );
          continue;
        }
        await waitServed(
          `the session of ${describeValue(sessionUser, 60)} preloading its user`,
          async () => {
            const status = await answerOrWedged(stack.temporal, [{ workflowId }], 3_000, 'status', () =>
              handle.query<UserSessionStatus>('status'),
            );
            if (status.state === 'idle' && status.lastResult && !status.lastResult.ok)
              throw new Error(`its preload failed: ${clip(status.lastError ?? '')}`);
            return status.state === 'idle' && status.lastResult?.ok === true ? status : undefined;
          },
          stack.temporal,
          async () => [{ workflowId }],
        ).catch((err: Error) => problems.push(`${what}: ${err.message}`));
      }
      for (const f of await workflowTaskFailures(stack.temporal, await runsSince(since)()))
        problems.push(`a workflow task of ${describeValue(f.workflowId, 80)} failed: ${f.cause}: ${clip(f.message)}`);
      problems.push(...(await prefixProblems(stack.redis, keys())));
      problems.push(
        ...(await oversizedSummaries(stack.temporal, await runsSince(since)())).map(
          (p) => `summary over the limit: ${p}`,
        ),
      );
      fail([...new Set(problems)]);
    }),
    serverFuzzOptions(3, 20_000, [
      [[{ userId: 'u'.repeat(235), payload: { payload: { userId: USER }, field: ['userId'], change: 'set' } }]],
    ]),
  );
});
