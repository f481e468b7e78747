// The warmKey activity's run warm marks: only task workflows' warms set one, a failed write never
// fails the warm, and a run whose mark could not be written gets one that matches no digest as soon
// as Redis answers again (its older mark would vouch for a digest that misses the warm).
import type { Info } from '@temporalio/activity';
import type { Redis } from 'ioredis';
import { RunWarmMarks } from '../../activities/run-warm-marks';
import { redisKeys } from '../../store/redis-keys';
import { UNSURE_WARM_MARK } from '../../store/run-warm-marks';

/** A Redis whose SETs are recorded, failing while `down`. */
function fakeRedis() {
  const state = { down: false, sets: [] as [string, string][] };
  const redis = {
    isCluster: false,
    set: (key: string, value: string) => {
      if (state.down) return Promise.reject(new Error('connect ECONNREFUSED'));
      state.sets.push([key, value]);
      return Promise.resolve('OK');
    },
  };
  return { state, redis: redis as unknown as Redis };
}

function info(workflowType: string, runId: string, activityId: string): Info {
  return { workflowType, workflowExecution: { workflowId: 'w', runId }, activityId } as unknown as Info;
}

const keys = redisKeys('t:');

afterEach(() => jest.useRealTimers());

test("a task workflow's warm sets its run's mark to its activity id; other workflows' warms set none", async () => {
  const { state, redis } = fakeRedis();
  const marks = new RunWarmMarks(redis, keys);
  const warn = jest.fn();
  await marks.mark(info('warmTaskWorkflow', 'run-1', '7'), warn);
  await marks.mark(info('preloadUserWorkflow', 'run-2', '3'), warn);
  await marks.mark(info('bulkWarmWorkflow', 'run-3', '4'), warn);
  expect(state.sets).toEqual([['t:warmed:run-1', '7']]);
  expect(warn).not.toHaveBeenCalled();
});

test('a mark that cannot be written does not reject, and becomes unsure once Redis answers again', async () => {
  jest.useFakeTimers();
  const { state, redis } = fakeRedis();
  const marks = new RunWarmMarks(redis, keys);
  const warn = jest.fn();
  state.down = true;
  await expect(marks.mark(info('warmTaskWorkflow', 'run-1', '8'), warn)).resolves.toBeUndefined();
  expect(warn).toHaveBeenCalledWith(expect.stringContaining('run warm mark not written'), expect.anything());
  await jest.advanceTimersByTimeAsync(6_000);
  expect(state.sets).toEqual([]); // still down: retried, nothing written
  state.down = false;
  await jest.advanceTimersByTimeAsync(6_000);
  expect(state.sets).toEqual([['t:warmed:run-1', UNSURE_WARM_MARK]]);
  await jest.advanceTimersByTimeAsync(30_000);
  expect(state.sets).toHaveLength(1); // done: no more retries
});

test('a later warm written meanwhile takes the run off the unsure list', async () => {
  jest.useFakeTimers();
  const { state, redis } = fakeRedis();
  const marks = new RunWarmMarks(redis, keys);
  state.down = true;
  await marks.mark(info('warmTaskWorkflow', 'run-1', '8'), () => undefined);
  state.down = false;
  await marks.mark(info('warmTaskWorkflow', 'run-1', '9'), () => undefined);
  await jest.advanceTimersByTimeAsync(10_000);
  expect(state.sets).toEqual([['t:warmed:run-1', '9']]);
});
