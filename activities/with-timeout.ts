// A load's deadline: the activity's cancellation or the loader timeout, whichever comes first.

/**
 * `signal`, or a timeout, whichever aborts first; `clear()` once the load is over. A plain timer
 * rather than AbortSignal.any([signal, AbortSignal.timeout(ms)]): Node may garbage-collect that
 * timeout signal before it fires (nodejs/node#57736), and then a hung origin is never timed out.
 */
export function withTimeout(signal: AbortSignal, timeoutMs: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  const follow = () => controller.abort(signal.reason);
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', follow);
    },
  };
}
