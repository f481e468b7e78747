// The setup most server test files share, declared in one line each: a test stack (clients, Redis
// and usually a worker on the file's own task queue and prefix) and a test origin, created before
// the file's tests and closed after them, whatever the tests did.
import { createTestStack, type TestStack, type TestStackOptions } from './test-env';
import { startTestOrigin, type OriginRoute, type TestOrigin } from './test-origin';

export interface UseTestStackOptions extends TestStackOptions {
  /**
   * Start the stack's in-process worker before the tests. Default true; false for files whose
   * workers are separate processes (the stack then provides clients and Redis only).
   */
  worker?: boolean;
}

/**
 * The file's test stack, created in `beforeAll` and closed in `afterAll`. Returned at once so
 * tests read `stack.warming...` as before; touching it before `beforeAll` has run throws.
 */
export function useTestStack(options: UseTestStackOptions = {}): TestStack {
  const { worker = true, ...stackOptions } = options;
  const stack = lateBound<TestStack>('test stack');
  beforeAll(async () => {
    stack.set(await createTestStack(stackOptions));
    if (worker) await stack.value.startWorker();
  });
  afterAll(async () => {
    await stack.current?.close();
  });
  return stack.proxy;
}

/** A test origin serving `routes` (more can be added with `origin.route`), started for the file's tests. */
export function useTestOrigin(routes: Record<string, OriginRoute> = {}): TestOrigin {
  const origin = lateBound<TestOrigin>('test origin');
  beforeAll(async () => {
    origin.set(await startTestOrigin(routes));
  });
  afterAll(async () => {
    await origin.current?.close();
  });
  return origin.proxy;
}

/** An object that exists only once a hook has run, reachable before then through a proxy. */
function lateBound<T extends object>(
  what: string,
): {
  proxy: T;
  readonly value: T;
  readonly current: T | undefined;
  set(value: T): void;
} {
  let current: T | undefined;
  const value = (): T => {
    if (current === undefined) throw new Error(`the ${what} is not ready: use it inside a test or hook`);
    return current;
  };
  const proxy = new Proxy({} as T, {
    get(_target, property) {
      const target = value();
      const member: unknown = Reflect.get(target, property, target);
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(target) : member;
    },
    has: (_target, property) => property in value(),
  });
  return {
    proxy,
    get value() {
      return value();
    },
    get current() {
      return current;
    },
    set(next: T) {
      current = next;
    },
  };
}
