// A loader's timeout must fire even when the garbage collector runs while the load hangs: with
// AbortSignal.any([signal, AbortSignal.timeout(ms)]) Node may collect the timeout signal first
// (nodejs/node#57736), and a hung origin then holds the warm until the activity times out.
import { ApplicationFailure } from '@temporalio/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { resolveLimits } from '../../activities/limits';
import { FailureTypes, Loaders } from '../../activities/loaders';
import { OriginLimiter } from '../../activities/origin-limiter';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let server: Server;
let url: string;
const limits = resolveLimits();
let limiter: OriginLimiter;

beforeAll(async () => {
  server = createServer(() => undefined); // accepts and never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`;
  limiter = new OriginLimiter(limits);
});

afterAll(async () => {
  await limiter.stop();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Runs `load` while collecting garbage every 5 ms; resolves with what it threw, or 'hung' after 10 s. */
async function underGcPressure(load: () => Promise<unknown>): Promise<unknown> {
  const collector = setInterval(gc, 5);
  let guard: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      load().then(
        () => 'resolved',
        (err: unknown) => err,
      ),
      new Promise((resolve) => (guard = setTimeout(() => resolve('hung'), 10_000))),
    ]);
  } finally {
    clearInterval(collector);
    clearTimeout(guard);
  }
}

const request = { vars: {}, signal: new AbortController().signal, heartbeat: () => undefined };

test('an HTTP load from a hung origin times out while the garbage collector runs', async () => {
  const loaders = new Loaders({ limiter, limits });
  const outcome = await underGcPressure(() =>
    loaders.load({ ...request, spec: { type: 'http', url, timeoutSeconds: 0.3 } }),
  );
  expect(outcome).toBeInstanceOf(ApplicationFailure);
  expect(outcome).toMatchObject({ type: FailureTypes.originUnavailable, message: expect.stringMatching(/timed out/) });
});

test("a custom loader's signal aborts at its timeout while the garbage collector runs", async () => {
  const loaders = new Loaders({
    registry: {
      hangs: (_args, context) =>
        new Promise((_resolve, reject) =>
          context.signal.addEventListener('abort', () => reject(context.signal.reason)),
        ),
    },
    limiter,
    limits,
  });
  const outcome = await underGcPressure(() =>
    loaders.load({ ...request, spec: { type: 'custom', name: 'hangs', timeoutSeconds: 0.3 } }),
  );
  expect(outcome).toMatchObject({ name: 'TimeoutError' });
});
