// What `npm run worker` reads from the environment, as the exported functions a team's own entry
// point calls (worker/worker-from-environment.ts): each variable lands in its option, a bad one is
// refused in one line naming it.
import { DefaultLogger } from '@temporalio/worker';
import { DEFAULT_LIMITS } from '../../activities/limits';
import { defaultMaxCachedWorkflows } from '../../worker/create-worker';
import { runtimeOptionsFromEnvironment, workerOptionsFromEnvironment } from '../../worker/worker-from-environment';

test('without WARMING_* variables the options are the documented defaults', () => {
  expect(workerOptionsFromEnvironment({})).toEqual({
    maxConcurrentActivities: 20,
    criticalMaxConcurrentActivities: 10,
    limits: DEFAULT_LIMITS,
    maxCachedWorkflows: defaultMaxCachedWorkflows(),
  });
});

test('each variable sets its createWorker option', () => {
  const options = workerOptionsFromEnvironment({
    WARMING_MAX_ACTIVITIES: '7',
    WARMING_CRITICAL_MAX_ACTIVITIES: '3',
    WARMING_ORIGIN_CONCURRENCY: '2',
    WARMING_ORIGIN_RATE_PER_SECOND: '0',
    WARMING_MAX_VALUE_BYTES: '1024',
    WARMING_MAX_CACHED_WORKFLOWS: '0',
    WARMING_WORKFLOW_BUNDLE: __filename,
  });
  expect(options).toEqual({
    maxConcurrentActivities: 7,
    criticalMaxConcurrentActivities: 3,
    limits: { ...DEFAULT_LIMITS, originConcurrency: 2, originRatePerSecond: 0, maxValueBytes: 1024 },
    maxCachedWorkflows: 0,
    workflowBundle: { codePath: __filename },
  });
});

test.each([
  ['WARMING_MAX_ACTIVITIES', '0', 'WARMING_MAX_ACTIVITIES must be an integer >= 1 (got "0")'],
  ['WARMING_ORIGIN_CONCURRENCY', 'many', 'WARMING_ORIGIN_CONCURRENCY must be an integer >= 1 (got "many")'],
  ['WARMING_ORIGIN_RATE_PER_SECOND', '-1', 'WARMING_ORIGIN_RATE_PER_SECOND must be an integer >= 0 (got "-1")'],
  ['WARMING_MAX_CACHED_WORKFLOWS', '1.5', 'WARMING_MAX_CACHED_WORKFLOWS must be an integer >= 0 (got "1.5")'],
  [
    'WARMING_WORKFLOW_BUNDLE',
    '/nonexistent/bundle.js',
    'WARMING_WORKFLOW_BUNDLE /nonexistent/bundle.js does not exist',
  ],
])('a bad %s is refused naming it', (name, value, message) => {
  expect(() => workerOptionsFromEnvironment({ [name]: value })).toThrow(message);
});

test('the runtime logs at WARMING_LOG_LEVEL and serves metrics at WARMING_METRICS_ADDRESS', () => {
  const options = runtimeOptionsFromEnvironment({
    WARMING_LOG_LEVEL: 'warn',
    WARMING_METRICS_ADDRESS: '127.0.0.1:9464',
  });
  expect(options.telemetryOptions).toEqual({ metrics: { prometheus: { bindAddress: '127.0.0.1:9464' } } });
  expect(options.logger).toBeInstanceOf(DefaultLogger);
  expect((options.logger as DefaultLogger).level).toBe('WARN');
  expect((runtimeOptionsFromEnvironment({}).logger as DefaultLogger).level).toBe('INFO');
  expect(runtimeOptionsFromEnvironment({}).telemetryOptions).toBeUndefined();
});

test('a bad WARMING_LOG_LEVEL or WARMING_METRICS_ADDRESS is refused naming it', () => {
  expect(() => runtimeOptionsFromEnvironment({ WARMING_LOG_LEVEL: 'loud' })).toThrow(
    'WARMING_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR (got "loud")',
  );
  expect(() => runtimeOptionsFromEnvironment({ WARMING_METRICS_ADDRESS: '9464' })).toThrow(
    'WARMING_METRICS_ADDRESS must be host:port',
  );
});
