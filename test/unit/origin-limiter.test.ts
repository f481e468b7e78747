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
