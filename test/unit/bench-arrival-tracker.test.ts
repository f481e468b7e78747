import { ArrivalTracker } from '../../bench/arrival-tracker';

describe('ArrivalTracker', () => {
  test('a group is complete when its last key arrives, timed from when it was sent', () => {
    const tracker = new ArrivalTracker();
    tracker.expect('u1', ['a', 'b'], 100);
    tracker.arrived('a', 120);
    expect(tracker.latencies(['u1'])).toEqual([]);
    expect(tracker.incomplete(['u1'])).toEqual(['u1']);
    tracker.arrived('b', 175);
    expect(tracker.latencies(['u1'])).toEqual([75]);
    expect(tracker.incomplete(['u1'])).toEqual([]);
  });

  test('ignores unknown keys and keys written twice', () => {
    const tracker = new ArrivalTracker();
    tracker.expect('u1', ['a', 'b'], 0);
    tracker.arrived('zzz', 5);
    tracker.arrived('a', 10);
    tracker.arrived('a', 20);
    expect(tracker.incomplete(['u1'])).toEqual(['u1']);
    tracker.arrived('b', 30);
    tracker.arrived('b', 90);
    expect(tracker.latencies(['u1'])).toEqual([30]);
  });

  test('refuses a group twice or a group of no keys', () => {
    const tracker = new ArrivalTracker();
    tracker.expect('u1', ['a'], 0);
    expect(() => tracker.expect('u1', ['b'], 0)).toThrow(/already/);
    expect(() => tracker.expect('u2', [], 0)).toThrow(/no keys/);
  });

  test('whenComplete resolves once every named group is complete', async () => {
    const tracker = new ArrivalTracker();
    tracker.expect('u1', ['a'], 0);
    tracker.expect('u2', ['b'], 0);
    let done = false;
    const waiting = tracker.whenComplete(['u1', 'u2'], 10_000).then(() => (done = true));
    tracker.arrived('a', 1);
    await Promise.resolve();
    expect(done).toBe(false);
    tracker.arrived('b', 2);
    await waiting;
    expect(done).toBe(true);
  });

  test('whenComplete gives up after its timeout, leaving the group incomplete', async () => {
    const tracker = new ArrivalTracker();
    tracker.expect('u1', ['a'], 0);
    await tracker.whenComplete(['u1'], 5);
    expect(tracker.incomplete(['u1'])).toEqual(['u1']);
  });
});
