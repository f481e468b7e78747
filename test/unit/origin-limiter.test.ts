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
  const limiter = new OriginLimiter({ originConcurrency: 100, originRatePerSecond: 5 });
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: 8 }, () => limiter.schedule('http://a', async () => void starts.push(Date.now()))),
  );
  starts.sort((a, b) => a - b);
  const first = starts[0] as number;
  // The first five go at once; the sixth waits for the bucket to refill a second later.
  expect(starts.filter((t) => t - first < 500)).toHaveLength(5);
  expect((starts[5] as number) - first).toBeGreaterThanOrEqual(500);
  // Exact at any instant: no one-second window holds more than five starts.
  for (const t of starts) expect(starts.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(5);
  await limiter.stop();
});
