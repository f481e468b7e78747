// The run catalogue's pure parts: what is stored reads back the same, anything else stored reads as
// no catalogue, the runs listed since update the kept ones, and retention cuts closed runs.
import fc from 'fast-check';
import {
  catalogueToKeep,
  mergeRuns,
  parseRunCatalogue,
  retainedRuns,
  serializeRunCatalogue,
  type ListedRun,
} from '../../client/run-catalogue';

const time = fc.integer({ min: 0, max: 4_000_000_000_000 });
const listedRun: fc.Arbitrary<ListedRun> = fc.record({
  workflowId: fc.string({ minLength: 1, maxLength: 255 }),
  runId: fc.uuid(),
  historyLength: fc.nat(),
  startMs: time,
  closeMs: fc.option(time, { nil: null }),
});

const run = (runId: string, closeMs: number | null, historyLength = 10): ListedRun => ({
  workflowId: `warm-task:${runId}`,
  runId,
  historyLength,
  startMs: 1_000,
  closeMs,
});

test('a stored catalogue reads back as it was, and only for its own queue', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1 }),
      time,
      time,
      fc.array(listedRun, { maxLength: 20 }),
      (taskQueue, asOfMs, fullListingMs, runs) => {
        const text = serializeRunCatalogue({ taskQueue, asOfMs, fullListingMs, runs });
        expect(parseRunCatalogue(text, taskQueue)).toEqual({ taskQueue, asOfMs, fullListingMs, runs });
        expect(parseRunCatalogue(text, `${taskQueue}-other`)).toBeUndefined();
      },
    ),
  );
});

test.each([
  ['nothing', null],
  ['an empty string', ''],
  ['text that is not JSON', '{"v":1'],
  ['JSON that is no object', '[1]'],
  ['another version', JSON.stringify({ v: 2, taskQueue: 'q', asOfMs: 1, fullListingMs: 1, runs: [] })],
  ['no time', JSON.stringify({ v: 1, taskQueue: 'q', fullListingMs: 1, runs: [] })],
  ['no time of its full listing', JSON.stringify({ v: 1, taskQueue: 'q', asOfMs: 1, runs: [] })],
  ['a negative time', JSON.stringify({ v: 1, taskQueue: 'q', asOfMs: -1, fullListingMs: 1, runs: [] })],
  ['runs that are no list', JSON.stringify({ v: 1, taskQueue: 'q', asOfMs: 1, fullListingMs: 1, runs: {} })],
  [
    'a run of four fields',
    JSON.stringify({ v: 1, taskQueue: 'q', asOfMs: 1, fullListingMs: 1, runs: [['w', 'r', 1, null]] }),
  ],
  [
    'a run without an id',
    JSON.stringify({ v: 1, taskQueue: 'q', asOfMs: 1, fullListingMs: 1, runs: [['w', '', 1, null, 3]] }),
  ],
  [
    'a close time that is text',
    JSON.stringify({ v: 1, taskQueue: 'q', asOfMs: 1, fullListingMs: 1, runs: [['w', 'r', 1, '2', 3]] }),
  ],
  [
    'a fractional length',
    JSON.stringify({ v: 1, taskQueue: 'q', asOfMs: 1, fullListingMs: 1, runs: [['w', 'r', 1, null, 1.5]] }),
  ],
])('%s is no catalogue', (_what, text) => {
  expect(parseRunCatalogue(text, 'q')).toBeUndefined();
});

test('a run listed since replaces the kept one; a run kept closed is not reopened by a stale listing', () => {
  const kept = [run('open', null, 10), run('closing', null, 20), run('closed', 5_000, 30)];
  const listed = [run('closing', 6_000, 25), run('closed', null, 12), run('new', null, 3)];
  const merged = mergeRuns(kept, listed);
  expect(new Map(merged.map((entry) => [entry.runId, entry]))).toEqual(
    new Map([
      ['open', run('open', null, 10)],
      ['closing', run('closing', 6_000, 25)],
      ['closed', run('closed', 5_000, 30)],
      ['new', run('new', null, 3)],
    ]),
  );
});

test('every run listed since is in the merge, each run id once', () => {
  fc.assert(
    fc.property(fc.array(listedRun, { maxLength: 20 }), fc.array(listedRun, { maxLength: 20 }), (kept, listed) => {
      const merged = mergeRuns(kept, listed);
      const ids = merged.map((entry) => entry.runId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(new Set([...kept, ...listed].map((entry) => entry.runId)));
    }),
  );
});

test('retention keeps open runs and those closed at or after the cutoff', () => {
  const runs = [run('open', null), run('edge', 5_000), run('gone', 4_999), run('late', 9_000)];
  expect(retainedRuns(runs, 5_000).map((entry) => entry.runId)).toEqual(['open', 'edge', 'late']);
  expect(retainedRuns(runs, undefined)).toEqual(runs);
});

test('a catalogue of more runs than the cap is not kept; one at the cap is, as stored', () => {
  const catalogue = { taskQueue: 'q', asOfMs: 2_000, fullListingMs: 1_000, runs: [run('r1', null), run('r2', 5)] };
  expect(catalogueToKeep(catalogue, 1)).toBeNull();
  expect(catalogueToKeep(catalogue, 2)).toBe(serializeRunCatalogue(catalogue));
  expect(catalogueToKeep(catalogue)).toBe(serializeRunCatalogue(catalogue));
});
