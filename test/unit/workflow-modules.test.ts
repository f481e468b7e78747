// Temporal's worker evaluates a workflow bundle's modules once per workflow execution (each
// execution has its own module cache), so whatever the workflow modules import at load time is paid
// for by every task, session and preload workflow, in CPU and in cached-workflow memory. zod and the
// config schemas were most of it; the task workflow now loads them only when applyTask validates.

/** Whether requiring `path` in a fresh module registry evaluates zod. */
function loadsZod(path: string): boolean {
  let loaded = false;
  jest.isolateModules(() => {
    jest.doMock('zod', () => {
      loaded = true;
      return jest.requireActual('zod');
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh registry per call
    require(path);
  });
  return loaded;
}

test('loading every workflow module evaluates no zod', () => {
  expect(loadsZod('../../workflows')).toBe(false);
});

test('the config schema, which the applyTask validator loads on demand, does evaluate zod', () => {
  // The check above can fail: the module the task workflow loads lazily is caught by it.
  expect(loadsZod('../../core/config-schema')).toBe(true);
});
