import { OriginLimiter } from '../../activities/origin-limiter';

test('never runs more loads at once per origin than the cap, and origins do not share a cap', async () => {
  const limiter = new OriginLimiter({ originConcurrency: 2, originRatePerSecond: 0 });
  let running = 0;
  let most = 0;
  const load = async () => {
    running++;
    most = Math.max(most, running);
    await new Promise((r) => setTimeout(r, 20));
    running--;
  };
  await Promise.all(Array.from({ length: 10 }, () => limiter.schedule('http://a', load)));
  expect(most).toBe(2);
  most = 0;
  await Promise.all([
    ...Array.from({ length: 4 }, () => limiter.schedule('http://a', load)),
    ...Array.from({ length: 4 }, () => limiter.schedule('http://b', load)),
  ]);
  expect(most).toBe(4);
  await limiter.stop();
});

test('starts no more loads per second per origin than the rate', async () => {
  // Fake clock: the window is checked exactly, and a loaded machine cannot stretch the gaps.
  jest.useFakeTimers();
  try {
    const limiter = new OriginLimiter({ originConcurrency: 100, originRatePerSecond: 5 });
    const starts: number[] = [];
    const t0 = Date.now();
    const all = Promise.all(
      Array.from({ length: 12 }, () => limiter.schedule('http://a', async () => void starts.push(Date.now() - t0))),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(starts).toEqual([0, 0, 0, 0, 0]);
    // The sixth waits until the first start is a full second old, not a millisecond less.
    await jest.advanceTimersByTimeAsync(999);
    expect(starts).toHaveLength(5);
    await jest.advanceTimersByTimeAsync(1);
    expect(starts).toEqual([0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000]);
    await jest.advanceTimersByTimeAsync(1000);
    await all;
    expect(starts.slice(10)).toEqual([2000, 2000]);
    // No one-second window holds more than five starts.
    for (const t of starts) expect(starts.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(5);
    await limiter.stop();
  } finally {
    jest.useRealTimers();
  }
});

/** A load that runs until released, recording when it started. */
function gatedLoads() {
  const started: string[] = [];
  const releases: (() => void)[] = [];
  const load = (name: string) => () =>
    new Promise<void>((resolve) => {
      started.push(name);
      releases.push(resolve);
    });
  /** Finishes the oldest running load and lets the limiter start the next. */
  const releaseOne = async () => {
    releases.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { started, load, releaseOne };
}

test('a critical load takes the next free slot ahead of queued bulk and normal loads; each priority is first come first served', async () => {
  const limiter = new OriginLimiter({ originConcurrency: 1, originRatePerSecond: 0 });
  const { started, load, releaseOne } = gatedLoads();
  const all = [
    limiter.schedule('http://a', load('bulk-running'), 'bulk'),
    limiter.schedule('http://a', load('bulk-1'), 'bulk'),
    limiter.schedule('http://a', load('bulk-2'), 'bulk'),
    limiter.schedule('http://a', load('normal-1')),
    limiter.schedule('http://a', load('bulk-3'), 'bulk'),
    limiter.schedule('http://a', load('normal-2'), 'normal'),
    limiter.schedule('http://a', load('critical'), 'critical'),
  ];
  await new Promise((r) => setImmediate(r));
  expect(started).toEqual(['bulk-running']);
  expect(limiter.queued('http://a', 'bulk')).toBe(3);
  expect(limiter.queued('http://a', 'critical')).toBe(1);
  for (let i = 0; i < 6; i++) await releaseOne();
  expect(started).toEqual(['bulk-running', 'critical', 'normal-1', 'normal-2', 'bulk-1', 'bulk-2', 'bulk-3']);
  await releaseOne();
  await Promise.all(all);
  expect(limiter.pending('http://a')).toBe(0);
  await limiter.stop();
});

test('a busy origin holds back only its own loads, whatever their priority', async () => {
  const limiter = new OriginLimiter({ originConcurrency: 1, originRatePerSecond: 0 });
  const { started, load, releaseOne } = gatedLoads();
  const busy = [
    limiter.schedule('http://a', load('a-bulk'), 'bulk'),
    limiter.schedule('http://a', load('a-2'), 'bulk'),
  ];
  const other = limiter.schedule('http://b', load('b-bulk'), 'bulk');
  await new Promise((r) => setImmediate(r));
  expect(started).toEqual(['a-bulk', 'b-bulk']);
  await releaseOne();
  await releaseOne();
  await releaseOne();
  await Promise.all([...busy, other]);
  await limiter.stop();
});

test('under the rate limit, a critical load waiting for the window starts first when it opens', async () => {
  jest.useFakeTimers();
  try {
    const limiter = new OriginLimiter({ originConcurrency: 100, originRatePerSecond: 2 });
    const starts: [string, number][] = [];
    const t0 = Date.now();
    const run = (name: string, priority: 'critical' | 'bulk') =>
      limiter.schedule('http://a', async () => void starts.push([name, Date.now() - t0]), priority);
    const all = Promise.all([
      run('b1', 'bulk'),
      run('b2', 'bulk'),
      run('b3', 'bulk'),
      run('b4', 'bulk'),
      run('c', 'critical'),
    ]);
    await jest.advanceTimersByTimeAsync(0);
    expect(starts).toEqual([
      ['b1', 0],
      ['b2', 0],
    ]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(starts.slice(2)).toEqual([
      ['c', 1000],
      ['b3', 1000],
    ]);
    await jest.advanceTimersByTimeAsync(1000);
    await all;
    expect(starts.slice(4)).toEqual([['b4', 2000]]);
    await limiter.stop();
  } finally {
    jest.useRealTimers();
  }
});

test('a login load goes ahead of queued normal and bulk loads, behind critical ones', async () => {
  const limiter = new OriginLimiter({ originConcurrency: 1, originRatePerSecond: 0 });
  const order: string[] = [];
  let release!: () => void;
  const blocker = limiter.schedule('http://a', () => new Promise<void>((r) => (release = r)));
  const queued = (['bulk', 'normal', 'login', 'critical'] as const).map((priority) =>
    limiter.schedule('http://a', async () => void order.push(priority), priority),
  );
  await new Promise((r) => setImmediate(r)); // the blocker has started
  release();
  await Promise.all([blocker, ...queued]);
  expect(order).toEqual(['critical', 'login', 'normal', 'bulk']);
  await limiter.stop();
});

test('a load still waiting at its deadline is shed, never started, and frees its place in the queue', async () => {
  jest.useFakeTimers();
  try {
    const limiter = new OriginLimiter({ originConcurrency: 1, originRatePerSecond: 0 });
    const started: string[] = [];
    let release!: () => void;
    const blocker = limiter.schedule('http://a', () => new Promise<void>((r) => (release = r)));
    const t0 = Date.now();
    const shed = limiter.schedule('http://a', async () => void started.push('late'), 'login', t0 + 200);
    const shedResult = shed.then(
      () => 'ran',
      (err: Error) => err,
    );
    const patient = limiter.schedule('http://a', async () => void started.push('patient'), 'normal');
    expect(limiter.pending('http://a')).toBe(3);
    await jest.advanceTimersByTimeAsync(199);
    expect(limiter.queued('http://a', 'login')).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    const err = await shedResult;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('LoadShedError');
    expect((err as Error).message).toBe('shed: waited 200 ms for http://a past its deadline, not loaded');
    expect(limiter.queued('http://a', 'login')).toBe(0);
    expect(limiter.pending('http://a')).toBe(2);
    release();
    await Promise.all([blocker, patient]);
    expect(started).toEqual(['patient']);
    // A deadline already past sheds at once, even with the origin free of waiters.
    release = () => undefined;
    const busy = limiter.schedule('http://a', () => new Promise<void>((r) => (release = r)));
    await expect(limiter.schedule('http://a', async () => 'x', 'login', Date.now())).rejects.toThrow(
      /^shed: waited 0 ms/,
    );
    release();
    await busy;
    // A free origin starts a load at once, whatever its deadline.
    await expect(limiter.schedule('http://a', async () => 'free', 'login', Date.now())).resolves.toBe('free');
    await limiter.stop();
  } finally {
    jest.useRealTimers();
  }
});
